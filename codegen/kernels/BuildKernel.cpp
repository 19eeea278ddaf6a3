//===- BuildKernel.cpp - the builder of each kernel kind ------------------===//

#include "codegen/kernels/Attention.h"
#include "codegen/kernels/BatchMatmul.h"
#include "codegen/kernels/Elementwise.h"
#include "codegen/kernels/Gemm.h"
#include "codegen/kernels/LayerNorm.h"
#include "codegen/kernels/ScreenLogits.h"
#include "codegen/kernels/Softmax.h"
#include "codegen/kernels/VocabReduce.h"

namespace txc::codegen {

KernelPipeline buildKernelPipeline(const KernelSpec &spec,
                                   const Halide::Target &target) {
  return std::visit(
      [&](const auto &params) -> KernelPipeline {
        using T = std::decay_t<decltype(params)>;
        if constexpr (std::is_same_v<T, GemmParams>)
          return buildGemm(params, target);
        else if constexpr (std::is_same_v<T, BatchMatmulParams>)
          return buildBatchMatmul(params, target);
        else if constexpr (std::is_same_v<T, SoftmaxParams>)
          return buildSoftmax(params, target);
        else if constexpr (std::is_same_v<T, LayerNormParams>)
          return buildLayerNorm(params, target);
        else if constexpr (std::is_same_v<T, ElementwiseParams>)
          return buildElementwise(params, target);
        else if constexpr (std::is_same_v<T, AttentionParams>)
          return buildAttention(params, target);
        else if constexpr (std::is_same_v<T, ScreenLogitsParams>)
          return buildScreenLogits(params, target);
        else
          return buildVocabReduce(params, target);
      },
      spec);
}

} // namespace txc::codegen
