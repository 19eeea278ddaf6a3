// The reference decoder on a one-layer model written out by hand: known
// greedy outputs, encoder dumps, logits capture, and KV-cache decoding
// agreeing with recomputing every prefix from scratch.
#include "EvalTestSupport.h"

#include "ir/ReferenceDecoder.h"
#include "runtime/LogitsRecorder.h"

using namespace txc;
using namespace txc::testing;

namespace {

// d_model 2, one head, one decoder layer, vocabularies of 4; EOS 3, start 2.
// Cross attention queries are linear(x, "q"); logits are
// linear(cross context + linear(self context, "o"), "out").
const char *kTinyModel = R"(
module attributes {txc.model_name = "tiny", txc.d_model = 2 : i64, txc.heads = 1 : i64,
                   txc.decoder_layers = 1 : i64, txc.source_vocab = 4 : i64,
                   txc.target_vocab = 4 : i64, txc.max_positions = 8 : i64,
                   txc.pad = 0 : i64, txc.eos = 3 : i64, txc.decoder_start = 2 : i64} {
  func @encode(%ids: tensor<?x?xi32>, %len: tensor<?xi32>) -> (tensor<?x?x2xf32>, tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) {
    %t = txc.weight "enc.embed" : tensor<4x2xf32>
    %m = txc.embedding %t, %ids {scale = 1.0 : f64} : (tensor<4x2xf32>, tensor<?x?xi32>) -> tensor<?x?x2xf32>
    %k = txc.split_heads %m {heads = 1 : i64} : (tensor<?x?x2xf32>) -> tensor<?x1x?x2xf32>
    return %m, %k, %k : tensor<?x?x2xf32>, tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>
  }
  func @decode_step(%tok: tensor<?x?xi32>, %step: index, %len: tensor<?xi32>, %origin: tensor<?xi32>,
                    %sentence: tensor<?xi32>, %sk: tensor<?x1x?x2xf32>, %sv: tensor<?x1x?x2xf32>,
                    %ck: tensor<?x1x?x2xf32>, %cv: tensor<?x1x?x2xf32>)
      -> (tensor<?x?x4xf32>, tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) {
    %e = txc.weight "dec.embed" : tensor<4x2xf32>
    %x0 = txc.embedding %e, %tok {scale = 1.0 : f64} : (tensor<4x2xf32>, tensor<?x?xi32>) -> tensor<?x?x2xf32>
    %x = txc.sinusoid_positions %x0, %step {layout = "interleaved", offset = 0 : i64} : (tensor<?x?x2xf32>, index) -> tensor<?x?x2xf32>
    %h = txc.split_heads %x {heads = 1 : i64} : (tensor<?x?x2xf32>) -> tensor<?x1x?x2xf32>
    %skr = txc.kv_cache_read %sk, %origin : (tensor<?x1x?x2xf32>, tensor<?xi32>) -> tensor<?x1x?x2xf32>
    %svr = txc.kv_cache_read %sv, %origin : (tensor<?x1x?x2xf32>, tensor<?xi32>) -> tensor<?x1x?x2xf32>
    %sk2 = txc.kv_cache_append %skr, %h : (tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x2xf32>
    %sv2 = txc.kv_cache_append %svr, %h : (tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x2xf32>
    %ss = txc.matmul %h, %sk2 {transpose_b = true} : (tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x?xf32>
    %ssm = txc.causal_mask %ss, %step : (tensor<?x1x?x?xf32>, index) -> tensor<?x1x?x?xf32>
    %sp = txc.softmax %ssm : (tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
    %sc = txc.matmul %sp, %sv2 : (tensor<?x1x?x?xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x2xf32>
    %scm = txc.merge_heads %sc : (tensor<?x1x?x2xf32>) -> tensor<?x?x2xf32>
    %wo = txc.weight "o" : tensor<2x2xf32>
    %so = txc.linear %scm, %wo : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
    %wq = txc.weight "q" : tensor<2x2xf32>
    %q = txc.linear %x, %wq : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
    %qh = txc.split_heads %q {heads = 1 : i64} : (tensor<?x?x2xf32>) -> tensor<?x1x?x2xf32>
    %ckr = txc.kv_cache_read %ck, %sentence : (tensor<?x1x?x2xf32>, tensor<?xi32>) -> tensor<?x1x?x2xf32>
    %cvr = txc.kv_cache_read %cv, %sentence : (tensor<?x1x?x2xf32>, tensor<?xi32>) -> tensor<?x1x?x2xf32>
    %cs = txc.matmul %qh, %ckr {transpose_b = true} : (tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x?xf32>
    %csm = txc.padding_mask %cs, %len : (tensor<?x1x?x?xf32>, tensor<?xi32>) -> tensor<?x1x?x?xf32>
    %cp = txc.softmax %csm : (tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
    %cc = txc.matmul %cp, %cvr : (tensor<?x1x?x?xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x2xf32>
    %ccm = txc.merge_heads %cc : (tensor<?x1x?x2xf32>) -> tensor<?x?x2xf32>
    %z = txc.add %ccm, %so : (tensor<?x?x2xf32>, tensor<?x?x2xf32>) -> tensor<?x?x2xf32>
    %wout = txc.weight "out" : tensor<4x2xf32>
    %logits = txc.linear %z, %wout : (tensor<?x?x2xf32>, tensor<4x2xf32>) -> tensor<?x?x4xf32>
    return %logits, %sk2, %sv2 : tensor<?x?x4xf32>, tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>
  }
})";

using Sources = std::vector<std::vector<int32_t>>;
using Ids = std::vector<int32_t>;

class ReferenceDecoderTest : public TxcModuleTest {
protected:
  // Zero queries and self-attention output: the logits are "out" times the
  // mean of the source embeddings, so each sentence repeats one token.
  void addAveragingWeights() {
    weights.add("enc.embed", {4, 2}, {0, 3, 1, 0, 0, 1, 1, 1});
    weights.add("dec.embed", {4, 2}, std::vector<float>(8, 0.f));
    weights.add("o", {2, 2}, std::vector<float>(4, 0.f));
    weights.add("q", {2, 2}, std::vector<float>(4, 0.f));
    weights.add("out", {4, 2}, {1, 0, 0, 1, 0, 0, 0.6f, 0.6f});
  }

  std::unique_ptr<ReferenceDecoder> decoder() {
    auto d = ReferenceDecoder::create(parse(kTinyModel), weights);
    if (!d) {
      ADD_FAILURE() << llvm::toString(d.takeError());
      return nullptr;
    }
    return std::move(*d);
  }

  static runtime::SearchOptions options(int beam, int maxLength,
                                        int nBest = 1) {
    runtime::SearchOptions o;
    o.beam = beam;
    o.maxLength = maxLength;
    o.nBest = nBest;
    return o;
  }
};

TEST_F(ReferenceDecoderTest, ReadsModuleAttributes) {
  addAveragingWeights();
  auto d = decoder();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->info().eos, 3);
  EXPECT_EQ(d->info().decoderStart, 2);
  EXPECT_EQ(d->info().targetVocab, 4);
  EXPECT_EQ(d->info().maxPositions, 8);
  EXPECT_EQ(d->info().decoderLayers, 1);
}

TEST_F(ReferenceDecoderTest, GreedyBatchMasksPaddingAndFollowsSentences) {
  addAveragingWeights();
  auto d = decoder();
  ASSERT_TRUE(d);
  // Means: [1] -> (1, 0) picks 0; [2,2,2,2] -> (0, 1) picks 1; [3] ->
  // (1, 1) picks EOS; [1,1,2] -> (2/3, 1/3) picks 0. Unmasked padding
  // (pad embedding (0, 3)) would turn line 0 to token 1; following rows
  // instead of sentences after line 2 leaves would end line 3 early. An
  // empty line attends to nothing: all logits 0, so token 0.
  Sources sources = {{1}, {2, 2, 2, 2}, {3}, {1, 1, 2}, {}};
  auto results = d->decode(sources, options(1, 3));
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 5u);
  EXPECT_EQ((*results)[0].hypotheses[0].ids, Ids({0, 0, 0}));
  EXPECT_EQ((*results)[1].hypotheses[0].ids, Ids({1, 1, 1}));
  EXPECT_EQ((*results)[2].hypotheses[0].ids, Ids());
  EXPECT_EQ((*results)[2].hypotheses[0].length, 1);
  EXPECT_EQ((*results)[3].hypotheses[0].ids, Ids({0, 0, 0}));
  EXPECT_EQ((*results)[4].hypotheses[0].ids, Ids({0, 0, 0}));
}

TEST_F(ReferenceDecoderTest, AllEmptySourcesDecodeWithZeroLengthTensors) {
  addAveragingWeights();
  auto d = decoder();
  ASSERT_TRUE(d);
  auto results = d->decode({{}, {}}, options(2, 2));
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ((*results)[1].hypotheses[0].ids, Ids({0, 0}));
}

TEST_F(ReferenceDecoderTest, EncoderOutputIsZeroPastEachLength) {
  addAveragingWeights();
  auto d = decoder();
  ASSERT_TRUE(d);
  auto memory = d->encoderOutput({{1}, {2, 3, 2}});
  ASSERT_TRUE(bool(memory)) << llvm::toString(memory.takeError());
  expectTensor(*memory, {2, 3, 2}, {1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1});
}

TEST_F(ReferenceDecoderTest, ObserverSeesRawLogitsOfEachStep) {
  addAveragingWeights();
  auto d = decoder();
  ASSERT_TRUE(d);
  runtime::SearchOptions o = options(1, 2);
  o.minLength = 2;
  runtime::LogitsRecorder recorder(2, 2, 4);
  auto results = d->decode({{3}, {2}}, o, recorder.observer(0));
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  // Line 0 would stop at once but min length keeps it going for 2 steps.
  EXPECT_EQ((*results)[0].hypotheses[0].ids.size(), 2u);
  std::vector<float> expected = {1, 1, 0, 1.2f, 1, 1, 0, 1.2f,
                                 0, 1, 0, 0.6f, 0, 1, 0, 0.6f};
  ASSERT_EQ(recorder.values().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(recorder.values()[i], expected[i], 1e-6) << "at " << i;
}

TEST_F(ReferenceDecoderTest, RejectsBadSourcesAndLengths) {
  addAveragingWeights();
  auto d = decoder();
  ASSERT_TRUE(d);
  auto badId = d->decode({{1}, {1, 4}}, options(1, 3));
  ASSERT_FALSE(bool(badId));
  std::string message = llvm::toString(badId.takeError());
  EXPECT_TRUE(contains(message, "source line 1: id 4 is outside [0, 4)"))
      << message;
  auto tooLong = d->decode({Ids(9, 1)}, options(1, 3));
  ASSERT_FALSE(bool(tooLong));
  EXPECT_TRUE(contains(llvm::toString(tooLong.takeError()),
                       "more than max_positions 8"));
  auto maxLength = d->decode({{1}}, options(1, 9));
  ASSERT_FALSE(bool(maxLength));
  EXPECT_TRUE(contains(llvm::toString(maxLength.takeError()),
                       "exceeds the model's max_positions 8"));
}

TEST_F(ReferenceDecoderTest, RejectsModulesWithoutConventions) {
  std::string text = kTinyModel;
  text.replace(text.find("txc.eos = 3 : i64, "), 19, "");
  auto d = ReferenceDecoder::create(parse(text), weights);
  ASSERT_FALSE(bool(d));
  EXPECT_TRUE(contains(llvm::toString(d.takeError()), "'txc.eos'"));
}

// Feeds each row's whole prefix to @decode_step with empty caches, one
// sentence at a time and with unpadded sources, keeping the last position's
// logits: what the cached, batched, reordered decoding must reproduce.
class RecomputingStepModel : public runtime::StepModel {
public:
  RecomputingStepModel(mlir::ModuleOp module, const WeightSource &weights,
                       const Sources &sources)
      : evaluator(weights),
        encodeFn(module.lookupSymbol<mlir::FuncOp>("encode")),
        decodeFn(module.lookupSymbol<mlir::FuncOp>("decode_step")),
        sources(sources) {}

  runtime::Status step(int stepIndex, const runtime::StepRows &rows,
                       const runtime::StepRequest &,
                       std::vector<float> &logits,
                       std::vector<int32_t> &) override {
    std::vector<Ids> next;
    for (size_t i = 0; i < rows.tokens.size(); ++i) {
      Ids prefix = stepIndex == 0 ? Ids() : prefixes[rows.origin[i]];
      prefix.push_back(rows.tokens[i]);
      const Ids &src = sources[rows.sentence[i]];
      int64_t n = static_cast<int64_t>(src.size());
      EvalValue len = EvalValue::i32({1}, {static_cast<int32_t>(n)});
      auto cross = evaluator.run(encodeFn, {EvalValue::i32({1, n}, src), len});
      if (!cross)
        return runtime::Status::failure(llvm::toString(cross.takeError()));
      int64_t t = static_cast<int64_t>(prefix.size());
      EvalValue empty = EvalValue::f32({1, 1, 0, 2}, {});
      auto out = evaluator.run(decodeFn, {EvalValue::i32({1, t}, prefix),
                                          EvalValue::index(0), len,
                                          EvalValue::i32({1}, {0}),
                                          EvalValue::i32({1}, {0}), empty,
                                          empty, (*cross)[1], (*cross)[2]});
      if (!out)
        return runtime::Status::failure(llvm::toString(out.takeError()));
      llvm::ArrayRef<float> all = (*out)[0].f32();
      logits.insert(logits.end(), all.end() - 4, all.end());
      next.push_back(std::move(prefix));
    }
    prefixes = std::move(next);
    return runtime::Status::success();
  }

private:
  Evaluator evaluator;
  mlir::FuncOp encodeFn, decodeFn;
  Sources sources;
  std::vector<Ids> prefixes;
};

TEST_F(ReferenceDecoderTest, CachedBeamDecodingMatchesRecomputation) {
  uint32_t state = 12345;
  auto random = [&](size_t n) {
    std::vector<float> v;
    for (size_t i = 0; i < n; ++i) {
      state = state * 1664525u + 1013904223u;
      v.push_back(static_cast<float>(state >> 8) / (1 << 24) * 4 - 2);
    }
    return v;
  };
  weights.add("enc.embed", {4, 2}, random(8));
  weights.add("dec.embed", {4, 2}, random(8));
  weights.add("o", {2, 2}, random(4));
  weights.add("q", {2, 2}, random(4));
  weights.add("out", {4, 2}, random(8));
  Sources sources = {{1, 2, 3}, {2}, {3, 3, 1, 1, 2}, {1, 1}};

  auto d = decoder();
  ASSERT_TRUE(d);
  runtime::SearchOptions o = options(3, 6, 3);
  auto cached = d->decode(sources, o);
  ASSERT_TRUE(bool(cached)) << llvm::toString(cached.takeError());

  RecomputingStepModel model(modules.back().get(), weights, sources);
  std::vector<runtime::SentenceResult> recomputed;
  runtime::Status s = runtime::searchBatch(
      model, {2, 3, 4}, o, static_cast<int>(sources.size()), recomputed);
  ASSERT_TRUE(s.ok()) << s.message();

  ASSERT_EQ(cached->size(), recomputed.size());
  size_t hypotheses = 0;
  for (size_t i = 0; i < recomputed.size(); ++i) {
    const auto &a = (*cached)[i].hypotheses, &b = recomputed[i].hypotheses;
    ASSERT_EQ(a.size(), b.size()) << "sentence " << i;
    for (size_t j = 0; j < a.size(); ++j) {
      EXPECT_EQ(a[j].ids, b[j].ids) << "sentence " << i << " rank " << j;
      EXPECT_NEAR(a[j].score, b[j].score, 1e-9);
    }
    hypotheses += a.size();
  }
  EXPECT_GT(hypotheses, sources.size()); // the beams kept alternatives
}

} // namespace
