//===- LayerNorm.h - LayerNorm, optionally of a residual sum ----*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// A LayerNorm kernel (LayerNormParams) with its inputs, for setting them
/// under JIT. Realize it into one buffer, or two ({out, sum}) with emitSum.
struct LayerNormPipeline : KernelPipeline {
  Halide::ImageParam input;    ///< x [R, D]
  Halide::ImageParam residual; ///< [R, D]; unused unless params.residual
  Halide::ImageParam gamma;    ///< [D]
  Halide::ImageParam beta;     ///< [D]
};

LayerNormPipeline buildLayerNorm(const LayerNormParams &params,
                                 const Halide::Target &target);

} // namespace txc::codegen
