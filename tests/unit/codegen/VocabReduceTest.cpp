//===- VocabReduceTest.cpp - log-softmax and argmax against plain loops ---===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/kernels/VocabReduce.h"
#include "runtime/TokenSelection.h"

#include <cmath>
#include <limits>

namespace txc::codegen {
namespace {

using namespace testing;

VocabReduceParams reduction(int vocab, VocabReduction kind) {
  VocabReduceParams params;
  params.vocab = vocab;
  params.reduction = kind;
  return params;
}

TEST(VocabReduceKernel, LogSoftmaxMatchesReference) {
  std::mt19937 rng(61);
  const int vocab = 1000; // not a whole number of partial-result groups
  VocabReducePipeline kernel =
      buildVocabReduce(reduction(vocab, VocabReduction::LogSoftmax),
                       jitTarget());
  for (int rows : {0, 1, 5})
    for (int masked : {-1, 3, 999}) {
      Halide::Buffer<float> logits = randomTensor({rows, vocab}, rng, -30, 30);
      Halide::Buffer<float> out = tensor({rows, vocab});
      kernel.logits.set(logits);
      kernel.maskedToken.set(masked);
      kernel.pipeline.realize(out);
      EXPECT_TRUE(closeTo(out, referenceLogSoftmax(elements(logits), rows,
                                                   vocab, masked)))
          << rows << " rows, masked token " << masked;
    }
}

TEST(VocabReduceKernel, LogSoftmaxOfARowWithNothingFiniteStaysMinusInf) {
  const int vocab = 100;
  const float inf = std::numeric_limits<float>::infinity();
  VocabReducePipeline kernel = buildVocabReduce(
      reduction(vocab, VocabReduction::LogSoftmax), jitTarget());
  Halide::Buffer<float> logits = tensor({3, vocab});
  for (int t = 0; t < vocab; ++t) {
    logits(t, 0) = -inf;                   // nothing finite
    logits(t, 1) = t == 7 ? 2.0f : -inf;   // only the masked token finite
    logits(t, 2) = t == 9 ? 2.0f : -inf;   // one finite logit: log-prob 0
  }
  Halide::Buffer<float> out = tensor({3, vocab});
  kernel.logits.set(logits);
  kernel.maskedToken.set(7);
  kernel.pipeline.realize(out);
  for (int t = 0; t < vocab; ++t) {
    EXPECT_EQ(out(t, 0), -inf) << t;
    EXPECT_EQ(out(t, 1), -inf) << t;
    EXPECT_EQ(out(t, 2), t == 9 ? 0.0f : -inf) << t;
  }
}

TEST(VocabReduceKernel, ArgmaxTakesTheLowestIdAmongTies) {
  std::mt19937 rng(62);
  const int vocab = 1000;
  VocabReducePipeline kernel = buildVocabReduce(
      reduction(vocab, VocabReduction::Argmax), jitTarget());
  const int rows = 4;
  Halide::Buffer<float> logits = randomTensor({rows, vocab}, rng, -5, 5);
  logits(10, 0) = logits(500, 0) = 7.0f; // tie: 10 wins
  logits(999, 1) = 9.0f;                 // last id, in the leftover lanes
  logits(0, 2) = logits(1, 2) = 8.0f;    // tie at the start
  logits(64, 3) = 8.0f;                  // masked below, 700 then wins
  logits(700, 3) = 7.5f;
  for (int masked : {-1, 64}) {
    Halide::Buffer<int32_t> out = intTensor({rows});
    kernel.logits.set(logits);
    kernel.maskedToken.set(masked);
    kernel.pipeline.realize(out);
    std::vector<int> want = referenceArgmax(elements(logits), rows, vocab,
                                            masked);
    for (int r = 0; r < rows; ++r)
      EXPECT_EQ(out(r), want[r]) << "row " << r << " masked " << masked;
  }
  EXPECT_EQ(referenceArgmax(elements(logits), rows, vocab, 64)[3], 700);
}

TEST(VocabReduceKernel, ArgmaxOfASmallVocabulary) {
  std::mt19937 rng(63);
  const int vocab = 5; // shorter than one vector
  VocabReducePipeline kernel = buildVocabReduce(
      reduction(vocab, VocabReduction::Argmax), jitTarget());
  Halide::Buffer<float> logits = randomTensor({7, vocab}, rng);
  Halide::Buffer<int32_t> out = intTensor({7});
  kernel.logits.set(logits);
  kernel.maskedToken.set(-1);
  kernel.pipeline.realize(out);
  std::vector<int> want = referenceArgmax(elements(logits), 7, vocab, -1);
  for (int r = 0; r < 7; ++r)
    EXPECT_EQ(out(r), want[r]) << "row " << r;
}

TEST(VocabReduceKernel, ArgmaxFlagsRowsTheSearchMustReject) {
  const int vocab = 100, rows = 5;
  const float inf = std::numeric_limits<float>::infinity();
  VocabReducePipeline kernel = buildVocabReduce(
      reduction(vocab, VocabReduction::Argmax), jitTarget());
  std::mt19937 rng(64);
  Halide::Buffer<float> logits = randomTensor({rows, vocab}, rng, -5, 5);
  for (int t = 0; t < vocab; ++t)
    logits(t, 0) = -inf;                  // nothing finite
  logits(37, 1) = std::nanf("");          // NaN anywhere
  logits(99, 2) = inf;                    // +inf
  for (int t = 0; t < vocab; ++t)         // only the masked token finite
    logits(t, 3) = t == 3 ? 1.0f : -inf;
  logits(50, 4) = 9.0f;                   // an ordinary row
  Halide::Buffer<int32_t> out = intTensor({rows});
  kernel.logits.set(logits);
  kernel.maskedToken.set(3);
  kernel.pipeline.realize(out);
  std::vector<int32_t> want = {runtime::kNoFiniteLogit,
                               runtime::kNonFiniteLogit,
                               runtime::kNonFiniteLogit,
                               runtime::kNoFiniteLogit, 50};
  for (int r = 0; r < rows; ++r) {
    EXPECT_EQ(out(r), want[r]) << "row " << r;
    EXPECT_EQ(runtime::argmaxToken(&logits(0, r), vocab, 3), want[r])
        << "row " << r;
  }
}

} // namespace
} // namespace txc::codegen
