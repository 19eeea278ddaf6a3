//===- Gemm.h - the GEMM of txc.linear --------------------------*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// A GEMM kernel (GemmParams) with its inputs, for setting them under JIT.
struct GemmPipeline : KernelPipeline {
  Halide::ImageParam input;        ///< x [M, K]
  Halide::ImageParam packedWeight; ///< [ceil(N/P), K, P]
  Halide::ImageParam bias;         ///< [N]; unused unless params.bias
  int panelWidth = 0;              ///< P the weights must be packed with
};

GemmPipeline buildGemm(const GemmParams &params, const Halide::Target &target);

/// The panel width `params` resolves to on `target`.
int gemmPanelWidth(const GemmParams &params, const Halide::Target &target);

} // namespace txc::codegen
