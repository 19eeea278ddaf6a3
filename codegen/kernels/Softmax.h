//===- Softmax.h - masked, scaled softmax over the last axis ----*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// A softmax kernel (SoftmaxParams) with its inputs, for setting them under
/// JIT.
struct SoftmaxPipeline : KernelPipeline {
  Halide::ImageParam scores;   ///< [B, H, Q, K]
  Halide::ImageParam lengths;  ///< [B]; unused unless params.paddingMask
  Halide::Param<int32_t> offset{"offset"}; ///< unused unless causalMask
};

SoftmaxPipeline buildSoftmax(const SoftmaxParams &params,
                             const Halide::Target &target);

} // namespace txc::codegen
