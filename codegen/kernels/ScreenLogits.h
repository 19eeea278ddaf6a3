//===- ScreenLogits.h - int8 logits of the vocabulary screen ----*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// The screen kernel (ScreenLogitsParams) with its inputs, for JIT tests.
struct ScreenLogitsPipeline : KernelPipeline {
  Halide::ImageParam input;  ///< x [M, K] f32
  Halide::ImageParam screen; ///< [ceil(N/P), K/4, 4P] int8
  Halide::ImageParam stats;  ///< [4, N] f32
  Halide::ImageParam bias;   ///< [N]; unused unless params.bias
};

ScreenLogitsPipeline buildScreenLogits(const ScreenLogitsParams &params,
                                       const Halide::Target &target);

} // namespace txc::codegen
