//===- ElementwiseTest.cpp - activations, add, scale against plain loops --===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/kernels/Elementwise.h"

namespace txc::codegen {
namespace {

using namespace testing;

TEST(ElementwiseKernel, MatchesReferenceForEachActivation) {
  std::mt19937 rng(41);
  for (Activation activation :
       {Activation::Relu, Activation::Gelu, Activation::GeluTanh,
        Activation::Swish}) {
    ElementwiseParams params;
    params.activation = activation;
    ElementwisePipeline kernel = buildElementwise(params, jitTarget());
    // Large magnitudes reach the saturated ends (exp overflow in swish and
    // gelu_tanh); 70000 elements take the parallel path.
    for (int size : {0, 1, 17, 70000}) {
      Halide::Buffer<float> x = randomTensor({size}, rng, -40.0f, 40.0f);
      Halide::Buffer<float> out = tensor({size});
      kernel.input.set(x);
      kernel.pipeline.realize(out);
      Floats want(size);
      for (int i = 0; i < size; ++i)
        want[i] = float(referenceActivation(activation, x(i)));
      EXPECT_TRUE(closeTo(out, want))
          << "activation " << int(activation) << " size " << size;
    }
  }
}

TEST(ElementwiseKernel, AddsAndScales) {
  std::mt19937 rng(42);
  ElementwiseParams params;
  params.add = true;
  params.scale = 22.627417f;
  ElementwisePipeline kernel = buildElementwise(params, jitTarget());
  for (int size : {3, 1000}) {
    Halide::Buffer<float> x = randomTensor({size}, rng);
    Halide::Buffer<float> y = randomTensor({size}, rng);
    Halide::Buffer<float> out = tensor({size});
    kernel.input.set(x);
    kernel.other.set(y);
    kernel.pipeline.realize(out);
    Floats want(size);
    for (int i = 0; i < size; ++i)
      want[i] = params.scale * (x(i) + y(i));
    EXPECT_TRUE(closeTo(out, want)) << size;
  }
}

} // namespace
} // namespace txc::codegen
