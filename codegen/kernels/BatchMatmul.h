//===- BatchMatmul.h - batched matmul with transpose flags ------*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// A batched matmul kernel (BatchMatmulParams) with its inputs, for setting
/// them under JIT.
struct BatchMatmulPipeline : KernelPipeline {
  Halide::ImageParam lhs; ///< [batch, M, K], or [batch, K, M] transposed
  Halide::ImageParam rhs; ///< [batch, K, N], or [batch, N, K] transposed
};

BatchMatmulPipeline buildBatchMatmul(const BatchMatmulParams &params,
                                     const Halide::Target &target);

} // namespace txc::codegen
