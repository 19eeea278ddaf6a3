//===- Elementwise.h - activations, add and scale ---------------*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// An elementwise kernel (ElementwiseParams) with its inputs, for setting
/// them under JIT.
struct ElementwisePipeline : KernelPipeline {
  Halide::ImageParam input; ///< x [E]
  Halide::ImageParam other; ///< y [E]; unused unless params.add
};

ElementwisePipeline buildElementwise(const ElementwiseParams &params,
                                     const Halide::Target &target);

} // namespace txc::codegen
