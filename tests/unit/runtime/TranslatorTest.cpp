#include "runtime/Translator.h"

#include "TinyModel.h"

#include <gtest/gtest.h>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

using Sources = std::vector<std::vector<int32_t>>;

const Sources kSources = {{3, 4, 5, 1},       {7, 1},
                          {2, 9, 9, 9, 12, 1}, {5, 1},
                          {11, 10, 1},        {6, 6, 6, 1},
                          {8, 1},             {4, 3, 2, 5, 6, 7, 8, 1}};

struct Fixture {
  TinyModel model = buildTinyModel();
  WeightTable weights = model.weights();
  std::unique_ptr<Translator> translator;

  Fixture() {
    Status s = Translator::create(model.plan, weights, {}, {}, translator);
    EXPECT_TRUE(s.ok()) << s.message();
  }

  std::vector<SentenceResult> run(const Sources &sources, int beam,
                                  int batchSize, int nBest = 1) {
    TranslateOptions o;
    o.search.beam = beam;
    o.search.nBest = nBest;
    o.batchSize = batchSize;
    std::vector<SentenceResult> results;
    Status s = translator->translate(sources, o, results);
    EXPECT_TRUE(s.ok()) << s.message();
    return results;
  }
};

void expectSame(const std::vector<SentenceResult> &a,
                const std::vector<SentenceResult> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].hypotheses.size(), b[i].hypotheses.size()) << i;
    for (size_t h = 0; h < a[i].hypotheses.size(); ++h) {
      EXPECT_EQ(a[i].hypotheses[h].ids, b[i].hypotheses[h].ids) << i;
      EXPECT_NEAR(a[i].hypotheses[h].score, b[i].hypotheses[h].score, 1e-4) << i;
    }
  }
}

// Runs `encoder` on `sources` padded to the longest; `ids` and `lengths`
// hold its inputs, which `encoded` may alias.
Status encodePadded(PlanExecutor &encoder, const Sources &sources,
                    std::vector<int32_t> &ids, std::vector<int32_t> &lengths,
                    std::vector<Binding> &encoded) {
  const int64_t count = int64_t(sources.size());
  size_t width = 0;
  for (const auto &src : sources)
    width = std::max(width, src.size());
  ids.assign(count * width, 0);
  lengths.clear();
  for (int64_t b = 0; b < count; ++b) {
    std::copy(sources[b].begin(), sources[b].end(), ids.begin() + b * width);
    lengths.push_back(int32_t(sources[b].size()));
  }
  return encoder.run(
      {Binding::ofTensor(TensorView(DType::I32, {count, int64_t(width)}, ids.data())),
       Binding::ofTensor(TensorView(DType::I32, {count}, lengths.data()))},
      encoded);
}

TEST(Translator, BatchingKeepsInputOrderAndResults) {
  Fixture f;
  for (int beam : {1, 3}) {
    std::vector<SentenceResult> alone;
    for (const auto &src : kSources)
      alone.push_back(f.run({src}, beam, 1)[0]);
    expectSame(f.run(kSources, beam, 1), alone);
    expectSame(f.run(kSources, beam, 3), alone);
    expectSame(f.run(kSources, beam, 32), alone);
  }
  // The sentences do not all translate alike, so order matters above.
  std::vector<SentenceResult> r = f.run(kSources, 1, 4);
  bool differ = false;
  for (const SentenceResult &x : r)
    differ |= x.hypotheses[0].ids != r[0].hypotheses[0].ids;
  EXPECT_TRUE(differ);
}

// Decodes by running @decode_step on the whole prefix every step, with
// empty caches: no KV cache reuse, an independent check of the cached path.
class RecomputingStepModel : public StepModel {
public:
  RecomputingStepModel(PlanExecutor &decoder, const ModelInfo &model,
                       const std::vector<Binding> &encoded,
                       std::vector<int32_t> lengths)
      : decoder(decoder), model(model), encoded(encoded),
        lengths(std::move(lengths)) {}

  Status step(int stepIndex, const StepRows &rows, const StepRequest &,
              std::vector<float> &logits, std::vector<int32_t> &) override {
    const int64_t n = rows.tokens.size(), t = stepIndex + 1;
    std::vector<std::vector<int32_t>> next;
    for (int64_t r = 0; r < n; ++r) {
      std::vector<int32_t> p =
          stepIndex ? prefixes[rows.origin[r]] : std::vector<int32_t>();
      p.push_back(rows.tokens[r]);
      next.push_back(p);
    }
    prefixes = next;
    std::vector<int32_t> tokens, rowLengths, origin;
    for (int64_t r = 0; r < n; ++r) {
      tokens.insert(tokens.end(), prefixes[r].begin(), prefixes[r].end());
      rowLengths.push_back(lengths[rows.sentence[r]]);
      origin.push_back(static_cast<int32_t>(r));
    }
    // Cross K/V copied here per row, so row r reads row r of them.
    std::vector<Binding> args = {
        Binding::ofTensor(TensorView(DType::I32, {n, t}, tokens.data())),
        Binding::ofIndex(0),
        Binding::ofTensor(TensorView(DType::I32, {n}, rowLengths.data())),
        Binding::ofTensor(TensorView(DType::I32, {n}, origin.data())),
        Binding::ofTensor(TensorView(DType::I32, {n}, origin.data()))};
    std::vector<float> empty;
    for (int64_t i = 0; i < 2 * model.decoderLayers; ++i)
      args.push_back(Binding::ofTensor(TensorView(
          DType::F32, {n, model.heads, 0, model.headDim}, empty.data())));
    // Encoder results may be strided views (split_heads): copied row by row.
    std::vector<std::vector<float>> cross(2 * model.decoderLayers);
    for (int64_t i = 0; i < 2 * model.decoderLayers; ++i) {
      const TensorView &src = encoded[1 + i].tensor;
      Dims shape = src.shape;
      shape[0] = n;
      cross[i].resize(numElements(shape));
      TensorView to(DType::F32, shape, cross[i].data());
      for (int64_t r = 0; r < n; ++r) {
        TensorView fromRow = src, toRow = to;
        fromRow.shape[0] = toRow.shape[0] = 1;
        fromRow.data = src.f32() + rows.sentence[r] * src.strides[0];
        toRow.data = to.f32() + r * to.strides[0];
        copyTensor(fromRow, toRow);
      }
      args.push_back(Binding::ofTensor(to));
    }
    std::vector<Binding> results;
    if (Status s = decoder.run(args, results); !s.ok())
      return s;
    const TensorView &out = results[0].tensor; // [n, t, vocab]
    logits.clear();
    for (int64_t r = 0; r < n; ++r) {
      const float *last = out.f32() + (r * t + t - 1) * model.targetVocab;
      logits.insert(logits.end(), last, last + model.targetVocab);
    }
    return Status::success();
  }

private:
  PlanExecutor &decoder;
  const ModelInfo &model;
  const std::vector<Binding> &encoded;
  std::vector<int32_t> lengths;
  std::vector<std::vector<int32_t>> prefixes;
};

// A batch too long for one encoder call is encoded in several calls of
// similar length, whose cross-attention K/V are gathered for the decoder:
// results stay those of each sentence translated alone.
TEST(Translator, EncoderCallsOfABigBatchKeepResults) {
  TinyModelConfig config;
  config.maxPositions = 40;
  TinyModel model = buildTinyModel(config);
  WeightTable weights = model.weights();
  std::unique_ptr<Translator> translator;
  ASSERT_TRUE(Translator::create(model.plan, weights, {}, {}, translator).ok());
  Sources sources;
  for (int i = 0; i < 40; ++i) {
    std::vector<int32_t> src;
    for (int t = 0; t < 20 + (i * 7) % 21; ++t)
      src.push_back(2 + (i * 5 + t * 3) % 11);
    sources.push_back(src);
  }
  for (int beam : {1, 2}) {
    TranslateOptions o;
    o.search.beam = beam;
    o.search.maxLength = 6;
    std::vector<SentenceResult> together, alone;
    o.batchSize = 40;
    ASSERT_TRUE(translator->translate(sources, o, together).ok());
    o.batchSize = 1;
    ASSERT_TRUE(translator->translate(sources, o, alone).ok());
    expectSame(together, alone);
  }
}

TEST(Translator, CachedDecodingMatchesRecomputation) {
  Fixture f;
  const ModelInfo &model = f.model.plan.model;
  std::unique_ptr<PlanExecutor> encoder, decoder;
  ASSERT_TRUE(PlanExecutor::create(f.model.plan.encode, f.weights, {}, {}, encoder).ok());
  ASSERT_TRUE(PlanExecutor::create(f.model.plan.decodeStep, f.weights, {}, {}, decoder).ok());
  Sources batch = {kSources[0], kSources[2], kSources[1]};
  std::vector<int32_t> ids, lengths;
  std::vector<Binding> encoded;
  ASSERT_TRUE(encodePadded(*encoder, batch, ids, lengths, encoded).ok());
  for (int beam : {1, 3}) {
    RecomputingStepModel slow(*decoder, model, encoded, lengths);
    SearchConfig config{int32_t(model.decoderStart), int32_t(model.eos),
                        int32_t(model.targetVocab)};
    SearchOptions o;
    o.beam = beam;
    o.maxLength = 8;
    std::vector<SentenceResult> expected;
    Status s = searchBatch(slow, config, o, 3, expected);
    ASSERT_TRUE(s.ok()) << s.message();
    TranslateOptions t;
    t.search = o;
    std::vector<SentenceResult> got;
    ASSERT_TRUE(f.translator->translate(batch, t, got).ok());
    expectSame(got, expected);
  }
}

// Sentences finishing early leave rows that no longer hold sentence r at
// row r: the session's rows then read other sentences' cross K/V, and its
// logits stay those of full recomputation over per-row copies.
TEST(Translator, CrossRowsFollowFinishedSentences) {
  Fixture f;
  const ModelInfo &model = f.model.plan.model;
  std::unique_ptr<PlanExecutor> encoder, cached, recomputing;
  ASSERT_TRUE(PlanExecutor::create(f.model.plan.encode, f.weights, {}, {}, encoder).ok());
  ASSERT_TRUE(PlanExecutor::create(f.model.plan.decodeStep, f.weights, {}, {}, cached).ok());
  ASSERT_TRUE(PlanExecutor::create(f.model.plan.decodeStep, f.weights, {}, {}, recomputing).ok());
  std::vector<int32_t> ids, lengths;
  std::vector<Binding> encoded;
  ASSERT_TRUE(encodePadded(*encoder, {kSources[0], kSources[1], kSources[2]},
                           ids, lengths, encoded)
                  .ok());
  DecodeExecutors executors;
  executors.logits = cached.get();
  DecoderSession session(executors, model);
  ASSERT_TRUE(session.begin(encoded, lengths, 3, 4).ok());
  RecomputingStepModel slow(*recomputing, model, encoded, lengths);
  const int32_t start = int32_t(model.decoderStart);
  // Step 0: every sentence; step 1: sentence 1 has finished; step 2: only
  // sentence 2 is left, at row 0.
  std::vector<StepRows> steps = {{{start, start, start}, {0, 1, 2}, {0, 1, 2}},
                                 {{5, 7}, {0, 2}, {0, 2}},
                                 {{9}, {1}, {2}}};
  StepRequest logits;
  for (int i = 0; i < 3; ++i) {
    std::vector<float> got, want;
    std::vector<int32_t> unused;
    ASSERT_TRUE(session.step(i, steps[i], logits, got, unused).ok()) << i;
    ASSERT_TRUE(slow.step(i, steps[i], logits, want, unused).ok()) << i;
    ASSERT_EQ(got.size(), want.size());
    for (size_t j = 0; j < got.size(); ++j)
      EXPECT_NEAR(got[j], want[j], 1e-4) << "step " << i << " at " << j;
  }
}

TEST(Translator, GreedyDoesNotMoveCacheRows) {
  Fixture f;
  TranslateOptions o;
  o.search.beam = 1;
  o.search.minLength = o.search.maxLength = 10; // no sentence leaves early
  std::vector<SentenceResult> r;
  ASSERT_TRUE(f.translator->translate({kSources[0], kSources[3]}, o, r).ok());
  EXPECT_EQ(r[0].hypotheses[0].ids.size(), 10u);
  EXPECT_EQ(f.translator->session().cacheRowsMoved(), 0);

  o.search.beam = 2;
  ASSERT_TRUE(f.translator->translate({kSources[0]}, o, r).ok());
  EXPECT_GT(f.translator->session().cacheRowsMoved(), 0);
}

TEST(Translator, NBestAndObserverUseInputIndices) {
  Fixture f;
  auto r = f.run(kSources, 3, 2, /*nBest=*/3);
  for (const SentenceResult &s : r) {
    ASSERT_GE(s.hypotheses.size(), 2u);
    EXPECT_GE(s.hypotheses[0].normalizedScore, s.hypotheses[1].normalizedScore);
  }
  std::map<int, std::vector<float>> firstLogits;
  TranslateOptions o;
  o.search.beam = 1;
  o.batchSize = 3;
  std::vector<SentenceResult> results;
  ASSERT_TRUE(f.translator
                  ->translate(kSources, o, results,
                              [&](int sentence, int step, int, const float *l) {
                                if (step == 0)
                                  firstLogits[sentence].assign(l, l + 11);
                              })
                  .ok());
  ASSERT_EQ(firstLogits.size(), kSources.size());
  std::vector<float> alone;
  ASSERT_TRUE(f.translator
                  ->translate({kSources[5]}, o, results,
                              [&](int, int step, int, const float *l) {
                                if (step == 0)
                                  alone.assign(l, l + 11);
                              })
                  .ok());
  for (int i = 0; i < 11; ++i)
    EXPECT_NEAR(firstLogits[5][i], alone[i], 1e-5);
}

TEST(Translator, RejectsBadInput) {
  Fixture f;
  std::vector<SentenceResult> r;
  TranslateOptions o;
  Status s = f.translator->translate({{1, 2}, {13, 1}}, o, r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("sentence 1: token id 13 is outside the source "
                             "vocabulary [0, 13)"),
            std::string::npos)
      << s.message();
  s = f.translator->translate({std::vector<int32_t>(13, 2)}, o, r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("more than max_positions 12"), std::string::npos);
  o.search.maxLength = 13;
  s = f.translator->translate({{2, 1}}, o, r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("max length 13 exceeds the model's max_positions 12"),
            std::string::npos);
}

TEST(Translator, TranslatesEmptySources) {
  Fixture f;
  auto r = f.run({{}, {3, 1}}, 2, 4);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].hypotheses.empty());
}

} // namespace
