//===- GemmTest.cpp - the GEMM of txc.linear against plain loops ----------===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/WeightPacking.h"
#include "codegen/kernels/Gemm.h"

namespace txc::codegen {
namespace {

using namespace testing;

// A GEMM kernel with random weights, packed as the kernel reads them.
struct GemmFixture {
  GemmParams params;
  GemmPipeline kernel;
  Floats weight, bias;
  Halide::Buffer<float> packed, biasBuffer;

  GemmFixture(const GemmParams &p, std::mt19937 &rng)
      : params(p), kernel(buildGemm(p, jitTarget())) {
    int n = int(p.n), k = int(p.k), width = kernel.panelWidth;
    weight = elements(randomTensor({n, k}, rng));
    bias = p.bias ? elements(randomTensor({n}, rng)) : Floats();
    packed = tensor({(n + width - 1) / width, k, width});
    EXPECT_TRUE(packGemmWeight(weight.data(), n, k, width, packed.data()));
    kernel.packedWeight.set(packed);
    if (p.bias) {
      biasBuffer = tensor({n});
      std::copy(bias.begin(), bias.end(), biasBuffer.data());
      kernel.bias.set(biasBuffer);
    }
  }

  // Runs the kernel on random rows and compares with the reference.
  ::testing::AssertionResult matchesReference(int rows, std::mt19937 &rng,
                                              float inputRange = 1.0f) {
    int n = int(params.n), k = int(params.k);
    Halide::Buffer<float> x = randomTensor({rows, k}, rng, -inputRange,
                                           inputRange);
    Halide::Buffer<float> out = tensor({rows, n});
    kernel.input.set(x);
    kernel.pipeline.realize(out);
    return closeTo(out, referenceLinear(elements(x), weight, bias, rows, n, k,
                                        params.activation));
  }
};

TEST(GemmKernel, MatchesReferenceForRowCountsAroundTheTiles) {
  std::mt19937 rng(1);
  GemmParams params;
  params.n = 100; // neither a whole panel nor a whole vector
  params.k = 37;
  params.bias = true;
  GemmFixture gemm(params, rng);
  for (int rows : {0, 1, 3, 4, 5, 11, 12, 13, 31, 100})
    EXPECT_TRUE(gemm.matchesReference(rows, rng)) << rows << " rows";
}

TEST(GemmKernel, MatchesReferenceAtATransformerShapeWithoutBias) {
  std::mt19937 rng(2);
  GemmParams params;
  params.n = 1536;
  params.k = 512;
  GemmFixture gemm(params, rng);
  for (int rows : {1, 8, 61})
    EXPECT_TRUE(gemm.matchesReference(rows, rng)) << rows << " rows";
}

TEST(GemmKernel, MatchesReferenceWithLongRows) {
  // K = 2048 picks shorter register tiles, so x's rows stay in L1.
  std::mt19937 rng(5);
  GemmParams params;
  params.n = 40;
  params.k = 2048;
  params.bias = true;
  GemmFixture gemm(params, rng);
  for (int rows : {1, 5, 6, 7, 13})
    EXPECT_TRUE(gemm.matchesReference(rows, rng)) << rows << " rows";
}

TEST(GemmKernel, AppliesEachActivationInTheEpilogue) {
  std::mt19937 rng(3);
  for (Activation activation : {Activation::Relu, Activation::Gelu,
                                Activation::GeluTanh, Activation::Swish}) {
    GemmParams params;
    params.n = 48;
    params.k = 19;
    params.bias = true;
    params.activation = activation;
    GemmFixture gemm(params, rng);
    // Wide inputs reach the saturated ends of each activation.
    EXPECT_TRUE(gemm.matchesReference(14, rng, 3.0f))
        << "activation " << int(activation);
  }
}

TEST(GemmKernel, HonorsExplicitTileSizes) {
  std::mt19937 rng(4);
  GemmParams params;
  params.n = 130;
  params.k = 64;
  params.bias = true;
  params.panelWidth = 3 * jitTarget().natural_vector_size<float>();
  params.rowsPerTile = 6;
  params.panelsPerTask = 2;
  GemmFixture gemm(params, rng);
  EXPECT_EQ(gemm.kernel.panelWidth, params.panelWidth);
  for (int rows : {2, 6, 7, 50})
    EXPECT_TRUE(gemm.matchesReference(rows, rng)) << rows << " rows";
}

TEST(GemmKernel, RefusesAPanelWidthThatIsNotWholeVectors) {
  GemmParams params;
  params.n = 8;
  params.k = 8;
  params.panelWidth = jitTarget().natural_vector_size<float>() + 1;
  EXPECT_THROW(buildGemm(params, jitTarget()), Halide::CompileError);
}

TEST(GemmKernel, RefusesAnInvalidSpec) {
  GemmParams params;
  params.n = 0;
  params.k = 8;
  EXPECT_THROW(buildGemm(params, jitTarget()), Halide::CompileError);
}

} // namespace
} // namespace txc::codegen
