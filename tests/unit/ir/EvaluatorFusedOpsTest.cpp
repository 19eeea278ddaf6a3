// The fused ops of the evaluator on small inputs with hand-computed results.
#include "EvalTestSupport.h"

#include <cmath>

using namespace txc;
using namespace txc::testing;

namespace {

using EvaluatorFusedOps = TxcModuleTest;

// Replaces the first "KEY" in `text` by `value`.
std::string with(std::string text, const std::string &key,
                 const std::string &value) {
  text.replace(text.find(key), key.size(), value);
  return text;
}

TEST_F(EvaluatorFusedOps, ConcatWeightsStacksRowsAndConcatenatesBiases) {
  weights.add("a", {1, 2}, {1, 2});
  weights.add("b", {2, 2}, {3, 4, 5, 6});
  weights.add("a.bias", {1}, {7});
  weights.add("b.bias", {2}, {8, 9});
  auto results = runMain(R"(
    func @main() -> (tensor<3x2xf32>, tensor<3xf32>) {
      %w = txc.concat_weights ["a", "b"] : tensor<3x2xf32>
      %b = txc.concat_weights ["a.bias", "b.bias"] : tensor<3xf32>
      return %w, %b : tensor<3x2xf32>, tensor<3xf32>
    })",
                         {});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 2u);
  expectTensor((*results)[0], {3, 2}, {1, 2, 3, 4, 5, 6});
  expectTensor((*results)[1], {3}, {7, 8, 9});
}

TEST_F(EvaluatorFusedOps, ConcatWeightsOfTheWrongShapeNameTheWeights) {
  weights.add("a", {1, 2}, {1, 2});
  weights.add("b", {2, 2}, {3, 4, 5, 6});
  std::string message = runMainError(R"(
    func @main() -> tensor<4x2xf32> {
      %w = txc.concat_weights ["a", "b"] : tensor<4x2xf32>
      return %w : tensor<4x2xf32>
    })",
                                     {});
  EXPECT_TRUE(contains(message, "weights 'a', 'b' stack to [3, 2]")) << message;
  EXPECT_TRUE(contains(message, "expects [4, 2]")) << message;
}

TEST_F(EvaluatorFusedOps, ConcatWeightsRejectsDifferentRowSizes) {
  weights.add("a", {1, 2}, {1, 2});
  weights.add("c", {1, 3}, {1, 2, 3});
  std::string message = runMainError(R"(
    func @main() -> tensor<2x2xf32> {
      %w = txc.concat_weights ["a", "c"] : tensor<2x2xf32>
      return %w : tensor<2x2xf32>
    })",
                                     {});
  EXPECT_TRUE(contains(message, "cannot stack weight 'c' of shape [1, 3]"))
      << message;
}

const char *kPacked = R"(
    func @main() -> tensor<2x2x2xf32> {
      %p = txc.packed_weight "NAME" {rows = ROWS : i64, panel_width = 2 : i64} : tensor<2x2x2xf32>
      return %p : tensor<2x2x2xf32>
    })";

std::string packedText(const std::string &name, const std::string &rows) {
  return with(with(kPacked, "NAME", name), "ROWS", rows);
}

TEST_F(EvaluatorFusedOps, PackedWeightPutsPanelRowsInnermostAndZeroPads) {
  // W = [[1, 2], [3, 4], [5, 6]]; packed[p][c][j] = W[2p + j][c].
  weights.add("w", {3, 2}, {1, 2, 3, 4, 5, 6});
  expectTensor(runMainOk(packedText("w", "3"), {}), {2, 2, 2},
               {1, 3, 2, 4, 5, 0, 6, 0});
}

TEST_F(EvaluatorFusedOps, PackedWeightStacksNamesJoinedByPlus) {
  weights.add("a", {1, 2}, {1, 2});
  weights.add("b", {2, 2}, {3, 4, 5, 6});
  expectTensor(runMainOk(packedText("a+b", "3"), {}), {2, 2, 2},
               {1, 3, 2, 4, 5, 0, 6, 0});
}

TEST_F(EvaluatorFusedOps, PackedWeightWithOtherRowsNamesTheWeights) {
  weights.add("a", {1, 2}, {1, 2});
  weights.add("b", {2, 2}, {3, 4, 5, 6});
  std::string message = runMainError(packedText("a+b", "4"), {});
  EXPECT_TRUE(contains(message, "weights 'a', 'b' stack to [3, 2]")) << message;
  EXPECT_TRUE(contains(message, "packs [4, 2]")) << message;
}

TEST_F(EvaluatorFusedOps, PackedWeightIsTheSameOnEveryRun) {
  weights.add("w", {3, 2}, {1, 2, 3, 4, 5, 6});
  mlir::ModuleOp module = parse(packedText("w", "3"));
  ASSERT_TRUE(module);
  Evaluator evaluator(weights);
  for (int run = 0; run < 2; ++run) {
    auto results = evaluator.run(module.lookupSymbol<mlir::FuncOp>("main"), {});
    ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
    expectTensor(results->front(), {2, 2, 2}, {1, 3, 2, 4, 5, 0, 6, 0});
  }
}

const char *kGemm = R"(
    func @main(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
      %p = txc.packed_weight "w" {rows = 3 : i64, panel_width = 2 : i64} : tensor<2x2x2xf32>
      %b = txc.weight "b" : tensor<3xf32>
      %0 = txc.gemm %x, %p, %b {out_features = 3 : i64, activation = "ACT", tile_rows = 4 : i64, panels_per_task = 1 : i64} : (tensor<?x?x2xf32>, tensor<2x2x2xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
      return %0 : tensor<?x?x3xf32>
    })";

class EvaluatorGemm : public TxcModuleTest {
protected:
  EvaluatorGemm() {
    // W x + b for x = [2, 3] is [2.5, -4, 5].
    weights.add("w", {3, 2}, {1, 0, 0, -1, 1, 1});
    weights.add("b", {3}, {0.5f, -1, 0});
  }
  EvalValue run(const char *activation) {
    return runMainOk(with(kGemm, "ACT", activation),
                     {EvalValue::f32({1, 1, 2}, {2, 3})});
  }
};

TEST_F(EvaluatorGemm, WithoutActivationIsTheLinear) {
  expectTensor(run("none"), {1, 1, 3}, {2.5f, -4, 5});
}

TEST_F(EvaluatorGemm, AppliesEachActivation) {
  expectTensor(run("relu"), {1, 1, 3}, {2.5f, 0, 5});
  auto gelu = [](double x) {
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  };
  expectTensor(run("gelu"), {1, 1, 3},
               {float(gelu(2.5)), float(gelu(-4)), float(gelu(5))});
  auto geluTanh = [](double x) {
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  };
  expectTensor(run("gelu_tanh"), {1, 1, 3},
               {float(geluTanh(2.5)), float(geluTanh(-4)), float(geluTanh(5))});
  auto swish = [](double x) { return x / (1 + std::exp(-x)); };
  expectTensor(run("swish"), {1, 1, 3},
               {float(swish(2.5)), float(swish(-4)), float(swish(5))});
}

TEST_F(EvaluatorFusedOps, SliceTakesARangeOfTheLastAxis) {
  EvalValue out =
      runMainOk(R"(
    func @main(%x: tensor<?x?x4xf32>) -> tensor<?x?x2xf32> {
      %0 = txc.slice %x {offset = 1 : i64, size = 2 : i64} : (tensor<?x?x4xf32>) -> tensor<?x?x2xf32>
      return %0 : tensor<?x?x2xf32>
    })",
                {EvalValue::f32({1, 2, 4}, {0, 1, 2, 3, 4, 5, 6, 7})});
  expectTensor(out, {1, 2, 2}, {1, 2, 5, 6});
}

TEST_F(EvaluatorFusedOps, SliceOutsideADynamicAxisFails) {
  std::string message = runMainError(R"(
    func @main(%x: tensor<?x?xf32>) -> tensor<?x2xf32> {
      %0 = txc.slice %x {offset = 1 : i64, size = 2 : i64} : (tensor<?x?xf32>) -> tensor<?x2xf32>
      return %0 : tensor<?x2xf32>
    })",
                                     {EvalValue::f32({1, 2}, {0, 1})});
  EXPECT_TRUE(contains(message, "range [1, 3) lies outside the last axis (2)"))
      << message;
}

// Two queries of one head (dh = 1) over two keys; values have two features.
// q . k * scale gives the scores [0, ln 3] for either query, so softmax is
// [1/4, 3/4] and the output [1/4 * 4 + 3/4 * 8, 1] = [7, 1].
const char *kAttention = R"(
    func @main(%q: tensor<?x1x?x1xf32>, %k: tensor<?x1x?x1xf32>, %v: tensor<?x1x?x2xf32>, %lengths: tensor<?xi32>, %offset: index) -> tensor<?x1x?x2xf32> {
      %0 = txc.attention %q, %k, %v MASKS {scale = 0.5 : f64} : (tensor<?x1x?x1xf32>, tensor<?x1x?x1xf32>, tensor<?x1x?x2xf32>) -> tensor<?x1x?x2xf32>
      return %0 : tensor<?x1x?x2xf32>
    })";

class EvaluatorAttention : public TxcModuleTest {
protected:
  EvalValue run(const char *masks, std::vector<int32_t> lengths,
                int64_t offset) {
    float ln3 = std::log(3.f);
    EvalValue q = EvalValue::f32({1, 1, 2, 1}, {1, 1});
    EvalValue k = EvalValue::f32({1, 1, 2, 1}, {0, 2 * ln3});
    EvalValue v = EvalValue::f32({1, 1, 2, 2}, {4, 1, 8, 1});
    return runMainOk(with(kAttention, "MASKS", masks),
                     {q, k, v, EvalValue::i32({1}, std::move(lengths)),
                      EvalValue::index(offset)});
  }
};

TEST_F(EvaluatorAttention, WeighsValuesBySoftmaxOfScaledScores) {
  expectTensor(run("", {2}, 0), {1, 1, 2, 2}, {7, 1, 7, 1}, 1e-5f);
}

TEST_F(EvaluatorAttention, CausalMaskHidesKeysAfterQueryPlusOffset) {
  // Offset 0: query 0 sees key 0 only; offset 1: both see both keys.
  expectTensor(run("offset(%offset)", {2}, 0), {1, 1, 2, 2}, {4, 1, 7, 1},
               1e-5f);
  expectTensor(run("offset(%offset)", {2}, 1), {1, 1, 2, 2}, {7, 1, 7, 1},
               1e-5f);
}

TEST_F(EvaluatorAttention, PaddingMaskHidesKeysPastTheLength) {
  expectTensor(run("lengths(%lengths : tensor<?xi32>)", {1}, 0), {1, 1, 2, 2},
               {4, 1, 4, 1});
}

TEST_F(EvaluatorAttention, FullyMaskedQueriesGiveZeros) {
  expectTensor(run("lengths(%lengths : tensor<?xi32>) offset(%offset)", {0}, 0),
               {1, 1, 2, 2}, {0, 0, 0, 0});
}

TEST_F(EvaluatorAttention, KeysOfAnotherBatchFail) {
  EvalValue q = EvalValue::f32({1, 1, 1, 1}, {1});
  EvalValue k = EvalValue::f32({2, 1, 1, 1}, {1, 1});
  EvalValue v = EvalValue::f32({2, 1, 1, 2}, {1, 1, 1, 1});
  std::string message =
      runMainError(with(kAttention, "MASKS", ""),
                   {q, k, v, EvalValue::i32({1}, {1}), EvalValue::index(0)});
  EXPECT_TRUE(contains(message, "key [2, 1, 1, 1] does not fit query"))
      << message;
}

TEST_F(EvaluatorAttention, KeyRowsPickEachRowsKeysAndValues) {
  // Three query rows over two rows of K/V; the i32 argument is key_rows.
  float ln3 = std::log(3.f);
  EvalValue q = EvalValue::f32({3, 1, 1, 1}, {1, 1, 1});
  EvalValue k = EvalValue::f32({2, 1, 2, 1}, {0, 2 * ln3, 0, 0});
  EvalValue v = EvalValue::f32({2, 1, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  std::string module =
      with(kAttention, "MASKS", "key_rows(%lengths : tensor<?xi32>)");
  EvalValue out = runMainOk(module, {q, k, v, EvalValue::i32({3}, {1, 0, 1}),
                                     EvalValue::index(0)});
  // Row 1 of K gives equal scores; row 0 scores 0 and ln 3: weights 1:3.
  expectTensor(out, {3, 1, 1, 2}, {20, 30, 2.5f, 3.5f, 20, 30}, 1e-5f);
  std::string message = runMainError(
      module, {q, k, v, EvalValue::i32({3}, {1, 2, 0}), EvalValue::index(0)});
  EXPECT_TRUE(contains(message, "key row 2 of row 1 is outside the keys' 2 rows"))
      << message;
}

const char *kAddLayerNorm = R"(
    func @main(%x: tensor<?x?xf32>, %r: tensor<?x?xf32>) -> tensor<?x?xf32> {
      %g = txc.weight "g" : tensor<2xf32>
      %b = txc.weight "b" : tensor<2xf32>
      %0 = txc.add_layer_norm %x, %r, %g, %b {eps = 1.75 : f64} : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x?xf32>
      return %0 : tensor<?x?xf32>
    })";

TEST_F(EvaluatorFusedOps, AddLayerNormNormalisesTheSum) {
  // x + r = [0, 3]: mean 1.5, variance 2.25, sqrt(2.25 + 1.75) = 2, so the
  // normalised row is [-0.75, 0.75], times gamma [2, 1] plus beta [0, 0.5].
  weights.add("g", {2}, {2, 1});
  weights.add("b", {2}, {0, 0.5f});
  EvalValue out = runMainOk(kAddLayerNorm, {EvalValue::f32({1, 2}, {1, 1}),
                                            EvalValue::f32({1, 2}, {-1, 2})});
  expectTensor(out, {1, 2}, {-1.5f, 1.25f});
}

TEST_F(EvaluatorFusedOps, AddLayerNormOfDifferentShapesFails) {
  weights.add("g", {2}, {2, 1});
  weights.add("b", {2}, {0, 0.5f});
  std::string message =
      runMainError(kAddLayerNorm, {EvalValue::f32({1, 2}, {1, 1}),
                                   EvalValue::f32({2, 2}, {1, 1, 1, 1})});
  EXPECT_TRUE(contains(message, "input [1, 2] and residual [2, 2] differ"))
      << message;
}

} // namespace
