//===- SoftmaxTest.cpp - masked, scaled softmax against plain loops -------===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/kernels/Softmax.h"

namespace txc::codegen {
namespace {

using namespace testing;

TEST(SoftmaxKernel, MatchesReferenceForEachMaskCombination) {
  std::mt19937 rng(21);
  const int batch = 2, heads = 3;
  for (bool padding : {false, true})
    for (bool causal : {false, true}) {
      SoftmaxParams params;
      params.scale = 0.125f;
      params.paddingMask = padding;
      params.causalMask = causal;
      SoftmaxPipeline kernel = buildSoftmax(params, jitTarget());
      for (int queries : {1, 7})
        for (int keys : {0, 1, 5, 33, 70})
          // Offset -2 masks whole rows; lengths 0 masks a whole batch row.
          for (int offset : {0, 3, -2}) {
            ReferenceMasks masks;
            Halide::Buffer<int32_t> lengths = intTensor({batch});
            lengths(0) = 0;
            lengths(1) = keys / 2 + 1;
            if (padding)
              masks.lengths = std::vector<int>{lengths(0), lengths(1)};
            if (causal)
              masks.causalOffset = offset;
            Halide::Buffer<float> scores =
                randomTensor({batch, heads, queries, keys}, rng, -8, 8);
            Halide::Buffer<float> out = tensor({batch, heads, queries, keys});
            kernel.scores.set(scores);
            kernel.lengths.set(lengths);
            kernel.offset.set(offset);
            kernel.pipeline.realize(out);
            EXPECT_TRUE(closeTo(out,
                                referenceSoftmax(elements(scores), batch, heads,
                                                 queries, keys, params.scale,
                                                 masks)))
                << "padding " << padding << " causal " << causal
                << " queries " << queries << " keys " << keys << " offset "
                << offset;
          }
    }
}

TEST(SoftmaxKernel, SplitsManyRowsIntoParallelTasks) {
  std::mt19937 rng(22);
  SoftmaxPipeline kernel = buildSoftmax(SoftmaxParams{}, jitTarget());
  Halide::Buffer<float> scores = randomTensor({1, 1, 300, 129}, rng, -20, 20);
  Halide::Buffer<float> out = tensor({1, 1, 300, 129});
  kernel.scores.set(scores);
  kernel.pipeline.realize(out);
  EXPECT_TRUE(closeTo(out, referenceSoftmax(elements(scores), 1, 1, 300, 129,
                                            1.0, ReferenceMasks{})));
}

} // namespace
} // namespace txc::codegen
