//===- BatchMatmulTest.cpp - txc.matmul against plain loops ---------------===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/kernels/BatchMatmul.h"

namespace txc::codegen {
namespace {

using namespace testing;

struct Shape {
  int batch, m, n, k;
};

::testing::AssertionResult matchesReference(BatchMatmulPipeline &kernel,
                                            const BatchMatmulParams &params,
                                            const Shape &s, std::mt19937 &rng) {
  Halide::Buffer<float> a = params.transposeA
                                ? randomTensor({s.batch, s.k, s.m}, rng)
                                : randomTensor({s.batch, s.m, s.k}, rng);
  Halide::Buffer<float> b = params.transposeB
                                ? randomTensor({s.batch, s.n, s.k}, rng)
                                : randomTensor({s.batch, s.k, s.n}, rng);
  Halide::Buffer<float> out = tensor({s.batch, s.m, s.n});
  kernel.lhs.set(a);
  kernel.rhs.set(b);
  kernel.pipeline.realize(out);
  return closeTo(out, referenceBatchMatmul(elements(a), elements(b), s.batch,
                                           s.m, s.n, s.k, params.transposeA,
                                           params.transposeB));
}

TEST(BatchMatmulKernel, MatchesReferenceForEveryTransposeWithDynamicShapes) {
  std::mt19937 rng(11);
  for (bool transposeA : {false, true})
    for (bool transposeB : {false, true}) {
      BatchMatmulParams params;
      params.transposeA = transposeA;
      params.transposeB = transposeB;
      BatchMatmulPipeline kernel = buildBatchMatmul(params, jitTarget());
      // Odd sizes, sizes below one tile, and an empty reduction.
      for (Shape shape : {Shape{3, 13, 33, 17}, Shape{2, 1, 7, 5},
                          Shape{1, 30, 64, 64}, Shape{2, 5, 3, 0},
                          Shape{0, 4, 4, 4}})
        EXPECT_TRUE(matchesReference(kernel, params, shape, rng))
            << "transposeA " << transposeA << " transposeB " << transposeB
            << " batch " << shape.batch << " m " << shape.m << " n "
            << shape.n << " k " << shape.k;
    }
}

TEST(BatchMatmulKernel, MatchesReferenceForAttentionShapes) {
  std::mt19937 rng(12);
  // Scores Q K^T with a static head dim, then probabilities times V.
  BatchMatmulParams scores;
  scores.k = 64;
  scores.transposeB = true;
  BatchMatmulParams mix;
  mix.n = 64;
  BatchMatmulPipeline scoresKernel = buildBatchMatmul(scores, jitTarget());
  BatchMatmulPipeline mixKernel = buildBatchMatmul(mix, jitTarget());
  for (int queries : {1, 23}) {
    EXPECT_TRUE(matchesReference(scoresKernel, scores,
                                 Shape{6, queries, 29, 64}, rng));
    EXPECT_TRUE(matchesReference(mixKernel, mix, Shape{6, queries, 64, 29},
                                 rng));
  }
}

} // namespace
} // namespace txc::codegen
