//===- LayerNormTest.cpp - LayerNorm (+ residual) against plain loops -----===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/kernels/LayerNorm.h"

namespace txc::codegen {
namespace {

using namespace testing;

TEST(LayerNormKernel, MatchesReferenceAtModelWidth) {
  std::mt19937 rng(31);
  LayerNormParams params;
  params.features = 512;
  LayerNormPipeline kernel = buildLayerNorm(params, jitTarget());
  Halide::Buffer<float> gamma = randomTensor({512}, rng, 0.5f, 1.5f);
  Halide::Buffer<float> beta = randomTensor({512}, rng);
  kernel.gamma.set(gamma);
  kernel.beta.set(beta);
  for (int rows : {0, 1, 3, 40}) {
    // An offset mean, as activations have, tests the centering.
    Halide::Buffer<float> x = randomTensor({rows, 512}, rng, 2.0f, 6.0f);
    Halide::Buffer<float> out = tensor({rows, 512});
    kernel.input.set(x);
    kernel.pipeline.realize(out);
    EXPECT_TRUE(closeTo(out, referenceLayerNorm(elements(x), {},
                                                elements(gamma), elements(beta),
                                                rows, 512, params.eps)))
        << rows << " rows";
  }
}

TEST(LayerNormKernel, NormalizesAResidualSumAndEmitsTheSum) {
  std::mt19937 rng(32);
  LayerNormParams params;
  params.features = 37;
  params.eps = 1e-6;
  params.residual = true;
  params.emitSum = true;
  LayerNormPipeline kernel = buildLayerNorm(params, jitTarget());
  Halide::Buffer<float> gamma = randomTensor({37}, rng);
  Halide::Buffer<float> beta = randomTensor({37}, rng);
  kernel.gamma.set(gamma);
  kernel.beta.set(beta);
  for (int rows : {1, 5, 70}) {
    Halide::Buffer<float> x = randomTensor({rows, 37}, rng);
    Halide::Buffer<float> residual = randomTensor({rows, 37}, rng);
    Halide::Buffer<float> out = tensor({rows, 37}), sum = tensor({rows, 37});
    kernel.input.set(x);
    kernel.residual.set(residual);
    kernel.pipeline.realize({out, sum});
    Floats wantSum = elements(x);
    for (size_t i = 0; i < wantSum.size(); ++i)
      wantSum[i] += residual.data()[i];
    EXPECT_TRUE(closeTo(sum, wantSum)) << rows << " rows";
    EXPECT_TRUE(closeTo(out, referenceLayerNorm(elements(x), elements(residual),
                                                elements(gamma), elements(beta),
                                                rows, 37, params.eps)))
        << rows << " rows";
  }
}

} // namespace
} // namespace txc::codegen
