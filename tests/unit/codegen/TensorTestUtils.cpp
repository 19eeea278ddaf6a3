//===- TensorTestUtils.cpp - buffers and comparisons for kernel tests -----===//

#include "TensorTestUtils.h"

#include <algorithm>
#include <cmath>

namespace txc::codegen::testing {

namespace {

template <typename T> Halide::Buffer<T> denseBuffer(std::vector<int> shape) {
  std::reverse(shape.begin(), shape.end());
  if (std::count(shape.begin(), shape.end(), 0)) {
    // A buffer without storage asks a Halide pipeline for its bounds
    // instead of running it; an empty tensor must still point somewhere.
    static T placeholder[1];
    return Halide::Buffer<T>(placeholder, shape);
  }
  return Halide::Buffer<T>(shape);
}

} // namespace

Halide::Target jitTarget() { return Halide::get_jit_target_from_environment(); }

Halide::Buffer<float> tensor(const std::vector<int> &shape) {
  return denseBuffer<float>(shape);
}

Halide::Buffer<int32_t> intTensor(const std::vector<int> &shape) {
  return denseBuffer<int32_t>(shape);
}

Halide::Buffer<float> randomTensor(const std::vector<int> &shape,
                                   std::mt19937 &rng, float low, float high) {
  Halide::Buffer<float> buffer = tensor(shape);
  std::uniform_real_distribution<float> uniform(low, high);
  std::generate(buffer.data(), buffer.data() + buffer.number_of_elements(),
                [&] { return uniform(rng); });
  return buffer;
}

std::vector<float> elements(const Halide::Buffer<float> &buffer) {
  return std::vector<float>(buffer.data(),
                            buffer.data() + buffer.number_of_elements());
}

::testing::AssertionResult closeTo(const Halide::Buffer<float> &actual,
                                   const std::vector<float> &expected,
                                   double tolerance) {
  if (actual.number_of_elements() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.number_of_elements() << ", expected "
           << expected.size();
  const float *data = actual.data();
  for (size_t i = 0; i < expected.size(); ++i) {
    double want = expected[i], got = data[i];
    bool same = std::isinf(want) ? got == want
                                 : std::fabs(got - want) <=
                                       tolerance * std::max(1.0, std::fabs(want));
    if (!same)
      return ::testing::AssertionFailure()
             << "element " << i << " is " << got << ", expected " << want;
  }
  return ::testing::AssertionSuccess();
}

} // namespace txc::codegen::testing
