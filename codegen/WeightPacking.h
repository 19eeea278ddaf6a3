//===- WeightPacking.h - weight layouts the kernels read --------*- C++ -*-===//
//
// A txc.linear weight W[N, K] (row n = output feature n, as PyTorch stores
// it) is repacked at compile time into panels of P consecutive rows:
//
//   packed[p][k][j] = W[p * P + j][k]   for p * P + j < N
//                   = 0                 for the padding rows of the last panel
//
// i.e. ceil(N / P) panels, each K x P floats with the P outputs innermost.
// The GEMM kernel reads one K x P panel per register tile, so its inner loop
// loads P contiguous floats per k. P is the GEMM's panel width
// (GemmParams::panelWidth, by default twice the target's vector width:
// 32 for AVX-512, 16 for AVX2).
//
// Plain C++: the runtime and the passes can use it without Halide.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>

namespace txc::codegen {

/// Floats in the packed form of an [n, k] weight with panels of
/// `panelWidth` rows; 0 when a size is not positive.
size_t packedGemmWeightSize(int64_t n, int64_t k, int panelWidth);

/// Packs row-major `weight` [n, k] into `packed`, which holds
/// packedGemmWeightSize(n, k, panelWidth) floats. Returns false (writing
/// nothing) when a size is not positive.
bool packGemmWeight(const float *weight, int64_t n, int64_t k, int panelWidth,
                    float *packed);

/// The inverse of packGemmWeight: writes row-major [n, k] into `weight`.
bool unpackGemmWeight(const float *packed, int64_t n, int64_t k,
                      int panelWidth, float *weight);

} // namespace txc::codegen
