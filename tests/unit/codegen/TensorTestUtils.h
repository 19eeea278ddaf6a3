//===- TensorTestUtils.h - buffers and comparisons for kernel tests -*- C++ -*-===//
#pragma once

#include <Halide.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace txc::codegen::testing {

/// The target the kernels are JIT-compiled for: the host.
Halide::Target jitTarget();

/// A dense float buffer of `shape`, written outermost first as txc writes
/// shapes (Halide's dimension 0 is the last entry).
Halide::Buffer<float> tensor(const std::vector<int> &shape);
Halide::Buffer<int32_t> intTensor(const std::vector<int> &shape);

/// tensor(shape) filled with values uniform in [low, high).
Halide::Buffer<float> randomTensor(const std::vector<int> &shape,
                                   std::mt19937 &rng, float low = -1.0f,
                                   float high = 1.0f);

/// The elements of a dense buffer in row-major order.
std::vector<float> elements(const Halide::Buffer<float> &buffer);

/// Success when every element is within `tolerance` * max(1, |expected|)
/// of `expected` (row-major); otherwise names the first mismatch.
::testing::AssertionResult closeTo(const Halide::Buffer<float> &actual,
                                   const std::vector<float> &expected,
                                   double tolerance = 1e-4);

} // namespace txc::codegen::testing
