#include "runtime/Search.h"
#include "runtime/LogSumExp.h"

#include "ScriptedStepModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace txc::runtime;
using txc::runtime::testing::logsOf;
using txc::runtime::testing::ScriptedStepModel;

namespace {

// Tokens 0..2 are words, 3 is EOS; decoding starts from 0.
const SearchConfig kConfig{/*decoderStart=*/0, /*eos=*/3, /*vocabSize=*/4};
// Unscripted prefixes end the sentence.
const std::vector<float> kEndsSentence = logsOf({0.1, 0.1, 0.1, 0.7});

SearchOptions options(int beam, int maxLength, int nBest = 1) {
  SearchOptions o;
  o.beam = beam;
  o.maxLength = maxLength;
  o.nBest = nBest;
  return o;
}

// Searches with `model` over raw logits, and again with a copy that answers
// with argmax tokens / top-k records as the fused output ops do: both must
// choose the same hypotheses (greedy ones chosen by argmax carry no score).
std::vector<SentenceResult> run(ScriptedStepModel &model,
                                const SearchOptions &o, int sentences = 1) {
  ScriptedStepModel fusedModel = model;
  fusedModel.provideFusedOutputs();
  std::vector<SentenceResult> results, fused;
  Status s = searchBatch(model, kConfig, o, sentences, results);
  EXPECT_TRUE(s.ok()) << s.message();
  s = searchBatch(fusedModel, kConfig, o, sentences, fused);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(model.calls.size(), fusedModel.calls.size());
  for (const StepRequest &r : fusedModel.requests)
    EXPECT_EQ(r.output, o.beam == 1 ? StepOutput::Argmax : StepOutput::TopK);
  EXPECT_EQ(results.size(), fused.size());
  for (size_t i = 0; i < std::min(results.size(), fused.size()); ++i) {
    const auto &want = results[i].hypotheses, &got = fused[i].hypotheses;
    EXPECT_EQ(want.size(), got.size()) << "sentence " << i;
    for (size_t h = 0; h < std::min(want.size(), got.size()); ++h) {
      EXPECT_EQ(want[h].ids, got[h].ids) << "sentence " << i << " hyp " << h;
      EXPECT_EQ(want[h].length, got[h].length);
      if (o.beam == 1 && !fusedModel.calls.empty())
        EXPECT_TRUE(std::isnan(got[h].score));
      else
        EXPECT_NEAR(want[h].score, got[h].score, 1e-5);
    }
  }
  return results;
}

using Ids = std::vector<int32_t>;

TEST(GreedySearch, TiesPickTheLowestId) {
  ScriptedStepModel model(kEndsSentence);
  model.script(0, {}, {0, 5, 5, 1});
  auto results = run(model, options(1, 10));
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].hypotheses.size(), 1u);
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({1}));
  EXPECT_EQ(results[0].hypotheses[0].length, 2);
  EXPECT_EQ(model.calls.size(), 2u);
}

TEST(GreedySearch, MinLengthMasksEosButObserverSeesRawLogits) {
  ScriptedStepModel model(kEndsSentence);
  model.script(0, {}, {0, 1, 0, 9});
  model.script(0, {1}, {0, 0, 1, 9});
  SearchOptions o = options(1, 10);
  o.minLength = 2;
  std::vector<float> observedEos;
  std::vector<SentenceResult> results;
  Status s = searchBatch(model, kConfig, o, 1, results,
                         [&](int, int, int, const float *logits) {
                           observedEos.push_back(logits[3]);
                         });
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({1, 2}));
  EXPECT_EQ(results[0].hypotheses[0].length, 3);
  ASSERT_EQ(observedEos.size(), 3u);
  EXPECT_EQ(observedEos[0], 9.f);
  EXPECT_EQ(observedEos[1], 9.f);
}

TEST(GreedySearch, StopsAtMaxLength) {
  ScriptedStepModel model({0, 2, 1, -1});
  auto results = run(model, options(1, 3));
  EXPECT_EQ(model.calls.size(), 3u);
  const Hypothesis &h = results[0].hypotheses[0];
  EXPECT_EQ(h.ids, Ids({1, 1, 1}));
  EXPECT_EQ(h.length, 3);
  double lp1 =
      2 - std::log(std::exp(0.) + std::exp(2.) + std::exp(1.) + std::exp(-1.));
  // The normalizer's exp runs in float lanes: about 1e-7 per step.
  EXPECT_NEAR(h.score, 3 * lp1, 1e-6);
  EXPECT_NEAR(h.normalizedScore, lp1, 1e-6);
}

TEST(GreedySearch, ZeroMaxLengthCallsNothing) {
  ScriptedStepModel model(kEndsSentence);
  auto results = run(model, options(1, 0));
  EXPECT_TRUE(model.calls.empty());
  ASSERT_EQ(results[0].hypotheses.size(), 1u);
  EXPECT_TRUE(results[0].hypotheses[0].ids.empty());
}

TEST(GreedySearch, FinishedSentencesLeaveTheBatch) {
  ScriptedStepModel model(kEndsSentence);
  model.script(1, {}, logsOf({0.1, 0.6, 0.2, 0.1}));
  model.script(1, {1}, logsOf({0.1, 0.1, 0.6, 0.2}));
  auto results = run(model, options(1, 10), 2);
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids());
  EXPECT_EQ(results[1].hypotheses[0].ids, Ids({1, 2}));
  ASSERT_EQ(model.calls.size(), 3u);
  EXPECT_EQ(model.calls[0].sentence, Ids({0, 1}));
  EXPECT_EQ(model.calls[0].origin, Ids({0, 1}));
  EXPECT_EQ(model.calls[0].tokens, Ids({0, 0}));
  EXPECT_EQ(model.calls[1].sentence, Ids({1}));
  EXPECT_EQ(model.calls[1].origin, Ids({1}));
  EXPECT_EQ(model.calls[1].tokens, Ids({1}));
  EXPECT_EQ(model.calls[2].origin, Ids({0}));
  EXPECT_EQ(model.calls[2].tokens, Ids({2}));
}

TEST(BeamSearch, TiesBreakByHypothesisThenToken) {
  // Step 0 ties tokens 1 and 2; step 1 gives both hypotheses one row whose
  // tokens 1 and 2 tie, so all four candidates have one score.
  ScriptedStepModel model(logsOf({0.25, 0.25, 0.25, 0.25}));
  model.script(0, {}, {0, 2, 2, -9});
  model.script(0, {1}, {0, 3, 3, -9});
  model.script(0, {2}, {0, 3, 3, -9});
  auto results = run(model, options(3, 3, 3));
  ASSERT_EQ(model.calls.size(), 3u);
  // Live after step 0 (3 wanted): 1, 2, then 0.
  EXPECT_EQ(model.calls[1].tokens, Ids({1, 2, 0}));
  EXPECT_EQ(model.calls[1].origin, Ids({0, 0, 0}));
  // Step 1 ranking: (h0,1) (h0,2) (h1,1) (h1,2) ... The first and third
  // keep their parents' rows 0 and 1; the second takes the free row 2, so
  // the caches copy one row, not two.
  EXPECT_EQ(model.calls[2].tokens, Ids({1, 1, 2}));
  EXPECT_EQ(model.calls[2].origin, Ids({0, 1, 0}));
  ASSERT_EQ(results[0].hypotheses.size(), 3u);
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({1, 1, 0}));
}

TEST(BeamSearch, EosWithinFirstNFinishes) {
  ScriptedStepModel model(kEndsSentence);
  model.script(0, {}, logsOf({0.1, 0.4, 0.2, 0.3}));
  auto results = run(model, options(3, 1, 3));
  // Ranking 1, EOS, 2, 0: EOS is second of three so it finishes, and the
  // first three non-EOS candidates stay live until max length ends them.
  ASSERT_EQ(model.calls.size(), 1u);
  ASSERT_EQ(results[0].hypotheses.size(), 3u);
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({1}));
  EXPECT_EQ(results[0].hypotheses[1].ids, Ids());
  EXPECT_EQ(results[0].hypotheses[1].length, 1);
  EXPECT_NEAR(results[0].hypotheses[1].score, std::log(0.3), 1e-6);
  EXPECT_EQ(results[0].hypotheses[2].ids, Ids({2}));
}

TEST(BeamSearch, EosBelowFirstNDoesNotFinish) {
  ScriptedStepModel model(kEndsSentence);
  model.script(0, {}, logsOf({0.3, 0.4, 0.2, 0.1}));
  auto results = run(model, options(3, 1, 3));
  ASSERT_EQ(results[0].hypotheses.size(), 3u);
  for (const Hypothesis &h : results[0].hypotheses)
    EXPECT_FALSE(h.ids.empty());
}

TEST(BeamSearch, EosRankedPastNDoesNotFinishEvenWhileLiveOnesAreMissing) {
  // Step 1 ranking: [1 EOS] [1 1] [2 EOS] [2 1]: the second EOS is third
  // (past N = 2) although only one live hypothesis has been taken by then.
  ScriptedStepModel model(kEndsSentence);
  model.script(0, {}, logsOf({0.05, 0.5, 0.4, 0.05}));
  model.script(0, {1}, logsOf({0.06, 0.4, 0.04, 0.5}));
  model.script(0, {2}, logsOf({0.15, 0.35, 0.1, 0.4}));
  auto results = run(model, options(2, 3, 2));
  ASSERT_EQ(model.calls.size(), 3u);
  EXPECT_EQ(model.calls[2].tokens, Ids({1, 1}));
  EXPECT_EQ(model.calls[2].origin, Ids({0, 1}));
  for (const Hypothesis &h : results[0].hypotheses)
    EXPECT_NE(h.ids, Ids({2}));
}

TEST(BeamSearch, AnEosAmongTheFirstNStillLeavesNLiveHypotheses) {
  ScriptedStepModel model(kEndsSentence);
  model.script(0, {}, logsOf({0.1, 0.5, 0.15, 0.25}));
  run(model, options(2, 2, 2));
  ASSERT_EQ(model.calls.size(), 2u);
  EXPECT_EQ(model.calls[1].tokens, Ids({1, 2}));
}

// Finishes [1] (score log .5 + log .6, length 2) and then [2, 1] (score
// log .3 + log .9 + log .95, length 3).
void scriptTwoFinishes(ScriptedStepModel &model) {
  model.script(0, {}, logsOf({0.05, 0.5, 0.3, 0.15}));
  model.script(0, {1}, logsOf({0.2, 0.1, 0.1, 0.6}));
  model.script(0, {2}, logsOf({0.04, 0.9, 0.03, 0.03}));
  model.script(0, {2, 1}, logsOf({0.02, 0.02, 0.01, 0.95}));
}

TEST(BeamSearch, LengthPenaltyChoosesAmongFinished) {
  for (double penalty : {0.0, 1.0}) {
    ScriptedStepModel model(kEndsSentence);
    scriptTwoFinishes(model);
    SearchOptions o = options(2, 10, 2);
    o.lengthPenalty = penalty;
    auto results = run(model, o);
    ASSERT_EQ(model.calls.size(), 3u);
    ASSERT_EQ(results[0].hypotheses.size(), 2u);
    const Hypothesis &best = results[0].hypotheses[0];
    const Hypothesis &second = results[0].hypotheses[1];
    if (penalty == 0.0) {
      EXPECT_EQ(best.ids, Ids({1}));
      EXPECT_EQ(second.ids, Ids({2, 1}));
    } else {
      EXPECT_EQ(best.ids, Ids({2, 1}));
      EXPECT_EQ(best.length, 3);
      EXPECT_NEAR(best.normalizedScore,
                  (std::log(0.3) + std::log(0.9) + std::log(0.95)) / 3, 1e-6);
      EXPECT_EQ(second.ids, Ids({1}));
    }
  }
}

TEST(BeamSearch, NBestKeepsOnlyTheBest) {
  ScriptedStepModel model(kEndsSentence);
  scriptTwoFinishes(model);
  auto results = run(model, options(2, 10, 1));
  ASSERT_EQ(results[0].hypotheses.size(), 1u);
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({2, 1}));
}

TEST(BeamSearch, EarliestFinishedWinsTies) {
  // [] finishes at step 0 with log .4; [1] finishes at step 1 with
  // log .4 + 0: equal scores when the length penalty is 0.
  const float inf = std::numeric_limits<float>::infinity();
  for (double penalty : {0.0, 1.0}) {
    ScriptedStepModel model(kEndsSentence);
    model.script(0, {}, logsOf({0.05, 0.4, 0.15, 0.4}));
    model.script(0, {1}, {-inf, -inf, -inf, 0});
    SearchOptions o = options(2, 10, 2);
    o.lengthPenalty = penalty;
    auto results = run(model, o);
    ASSERT_EQ(results[0].hypotheses.size(), 2u);
    EXPECT_EQ(results[0].hypotheses[0].score, results[0].hypotheses[1].score);
    EXPECT_EQ(results[0].hypotheses[0].ids, penalty == 0 ? Ids() : Ids({1}));
  }
}

TEST(BeamSearch, RowsLeaveTheBatchAndOriginsFollowParents) {
  ScriptedStepModel model(logsOf({0.25, 0.25, 0.25, 0.25}));
  model.script(0, {}, logsOf({0.05, 0.5, 0.4, 0.05}));
  model.script(0, {1}, logsOf({0.04, 0.03, 0.03, 0.9}));
  model.script(0, {2}, logsOf({0.04, 0.03, 0.03, 0.9}));
  model.script(1, {}, logsOf({0.3, 0.05, 0.6, 0.05}));
  model.script(1, {2}, logsOf({0.04, 0.9, 0.03, 0.03}));
  model.script(1, {0}, logsOf({0.04, 0.9, 0.03, 0.03}));
  model.script(1, {2, 1}, logsOf({0.003, 0.003, 0.004, 0.99}));
  model.script(1, {0, 1}, logsOf({0.003, 0.003, 0.004, 0.99}));
  auto results = run(model, options(2, 10), 2);
  ASSERT_EQ(model.calls.size(), 3u);
  EXPECT_EQ(model.calls[1].sentence, Ids({0, 0, 1, 1}));
  EXPECT_EQ(model.calls[1].tokens, Ids({1, 2, 2, 0}));
  EXPECT_EQ(model.calls[1].origin, Ids({0, 0, 1, 1}));
  // Sentence 0 finished both beams at step 1 and left.
  EXPECT_EQ(model.calls[2].sentence, Ids({1, 1}));
  EXPECT_EQ(model.calls[2].tokens, Ids({1, 1}));
  EXPECT_EQ(model.calls[2].origin, Ids({2, 3}));
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({1}));
  EXPECT_EQ(results[1].hypotheses[0].ids, Ids({2, 1}));
}

TEST(BeamSearch, EqualMinAndMaxLengthIsTopNOverBeamTimesVocab) {
  ScriptedStepModel model(logsOf({0.1, 0.2, 0.3, 0.4}));
  SearchOptions o = options(2, 2, 2);
  o.minLength = 2;
  auto results = run(model, o);
  ASSERT_EQ(results[0].hypotheses.size(), 2u);
  EXPECT_EQ(results[0].hypotheses[0].ids, Ids({2, 2}));
  EXPECT_EQ(results[0].hypotheses[1].ids, Ids({2, 1}));
  EXPECT_EQ(results[0].hypotheses[0].length, 2);
}

TEST(SearchErrors, WrongLogitCountFails) {
  class ShortModel : public StepModel {
    Status step(int, const StepRows &, const StepRequest &,
                std::vector<float> &logits, std::vector<int32_t> &) override {
      logits.assign(3, 0.f);
      return Status::success();
    }
  } model;
  std::vector<SentenceResult> results;
  Status s = searchBatch(model, kConfig, options(1, 5), 1, results);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("returned 3 values"), std::string::npos);
}

TEST(SearchErrors, NanLogitsFail) {
  for (int beam : {1, 2})
    for (bool fused : {false, true}) {
      ScriptedStepModel model({0, std::nanf(""), 0, 0});
      if (fused)
        model.provideFusedOutputs();
      std::vector<SentenceResult> results;
      Status s = searchBatch(model, kConfig, options(beam, 5), 1, results);
      ASSERT_FALSE(s.ok());
      EXPECT_NE(s.message().find("NaN"), std::string::npos) << s.message();
    }
}

TEST(SearchErrors, RowsWithoutAFiniteLogitFail) {
  const float inf = std::numeric_limits<float>::infinity();
  for (int beam : {1, 2})
    for (bool fused : {false, true}) {
      ScriptedStepModel model({-inf, -inf, -inf, 0});
      if (fused)
        model.provideFusedOutputs();
      SearchOptions o = options(beam, 5);
      o.minLength = 1; // masks EOS, the only finite logit
      std::vector<SentenceResult> results;
      Status s = searchBatch(model, kConfig, o, 1, results);
      ASSERT_FALSE(s.ok());
      EXPECT_NE(s.message().find("no finite value"), std::string::npos)
          << s.message();
    }
}

TEST(SearchErrors, ModelFailurePropagates) {
  class FailingModel : public StepModel {
    Status step(int, const StepRows &, const StepRequest &,
                std::vector<float> &, std::vector<int32_t> &) override {
      return Status::failure("decoder broke");
    }
  } model;
  std::vector<SentenceResult> results;
  Status s = searchBatch(model, kConfig, options(1, 5), 1, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "decoder broke");
}

TEST(SearchErrors, InvalidOptionsFail) {
  EXPECT_FALSE(validateSearch(kConfig, options(0, 5)).ok());
  EXPECT_FALSE(validateSearch(kConfig, options(2, 5, 3)).ok());
  EXPECT_FALSE(validateSearch(kConfig, options(2, -1)).ok());
  EXPECT_FALSE(validateSearch({0, 4, 4}, options(2, 5)).ok());
  EXPECT_TRUE(validateSearch(kConfig, options(2, 5, 2)).ok());
}

} // namespace

TEST(LogSumExp, MatchesDoublePrecisionOnAVocabularyRow) {
  std::vector<float> row(32000);
  for (size_t t = 0; t < row.size(); ++t)
    row[t] = float(std::sin(double(t) * 0.37) * 9.0 - (t % 7) * 0.5);
  row[17] = 30.0f; // a dominant token, left out below
  float maxValue;
  ASSERT_EQ(scanLogitsRow(row.data(), int32_t(row.size()), 17, maxValue), -1);
  double exact = 0;
  for (size_t t = 0; t < row.size(); ++t)
    if (t != 17)
      exact += std::exp(double(row[t]) - maxValue);
  exact = maxValue + std::log(exact);
  EXPECT_NEAR(logSumExpRow(row.data(), int32_t(row.size()), 17, maxValue),
              exact, 1e-6);
  EXPECT_LT(maxValue, 30.0f);
  row[99] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(scanLogitsRow(row.data(), int32_t(row.size()), -1, maxValue), 99);
}
