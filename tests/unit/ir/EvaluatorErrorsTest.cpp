// Bad inputs make the evaluator return errors that say what and where.
#include "EvalTestSupport.h"

using namespace txc;
using namespace txc::testing;

namespace {

using EvaluatorErrors = TxcModuleTest;

const char *kEmbedding = R"(
    func @main(%ids: tensor<?x?xi32>) -> tensor<?x?x2xf32> {
      %t = txc.weight "emb" : tensor<3x2xf32>
      %0 = txc.embedding %t, %ids {scale = 1.0 : f64} : (tensor<3x2xf32>, tensor<?x?xi32>) -> tensor<?x?x2xf32>
      return %0 : tensor<?x?x2xf32>
    })";

TEST_F(EvaluatorErrors, EmbeddingIdOutOfRangeNamesOpAndLocation) {
  weights.add("emb", {3, 2}, {1, 2, 3, 4, 5, 6});
  std::string message =
      runMainError(kEmbedding, {EvalValue::i32({1, 2}, {0, 3})});
  EXPECT_TRUE(contains(message, "txc.embedding")) << message;
  EXPECT_TRUE(contains(message, "id 3 at [0, 1] is outside [0, 3)")) << message;
  EXPECT_TRUE(contains(message, ":4:12")) << message; // line 4, column 12
  EXPECT_TRUE(contains(runMainError(kEmbedding, {EvalValue::i32({1, 1}, {-1})}),
                       "id -1"));
}

TEST_F(EvaluatorErrors, WeightStoredWithAnotherShapeNamesTheWeight) {
  weights.add("emb", {2, 3}, {1, 2, 3, 4, 5, 6});
  std::string message = runMainError(kEmbedding, {EvalValue::i32({1, 1}, {0})});
  EXPECT_TRUE(contains(message, "'emb'")) << message;
  EXPECT_TRUE(contains(message, "[2, 3]")) << message;
  EXPECT_TRUE(contains(message, "[3, 2]")) << message;
}

TEST_F(EvaluatorErrors, MissingWeightNamesTheWeight) {
  std::string message = runMainError(kEmbedding, {EvalValue::i32({1, 1}, {0})});
  EXPECT_TRUE(contains(message, "cannot read weight 'emb'")) << message;
}

TEST_F(EvaluatorErrors, WrongArgumentCount) {
  weights.add("emb", {3, 2}, {1, 2, 3, 4, 5, 6});
  std::string message = runMainError(kEmbedding, {});
  EXPECT_TRUE(contains(message, "@main takes 1 arguments but got 0"))
      << message;
}

TEST_F(EvaluatorErrors, ArgumentOfWrongKindRankOrStaticDim) {
  const char *text = R"(
    func @main(%x: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
      return %x : tensor<?x2xf32>
    })";
  EvalValue index = EvalValue::index(0);
  std::string wrongDim =
      runMainError(text, {EvalValue::f32({1, 3}, {1, 2, 3}), index});
  EXPECT_TRUE(contains(wrongDim, "argument 0 is tensor<1x3xf32> but "
                                 "tensor<?x2xf32> is expected"))
      << wrongDim;
  EXPECT_TRUE(contains(runMainError(text, {EvalValue::f32({2}, {1, 2}), index}),
                       "argument 0"));
  EXPECT_TRUE(
      contains(runMainError(text, {EvalValue::i32({1, 2}, {1, 2}), index}),
               "argument 0"));
  EXPECT_TRUE(contains(runMainError(text, {EvalValue::f32({1, 2}, {1, 2}),
                                           EvalValue::f32({1, 2}, {1, 2})}),
                       "argument 1 is tensor<1x2xf32> but index"));
  // Dynamic dims are free, including zero.
  auto empty = runMain(text, {EvalValue::f32({0, 2}, {}), index});
  EXPECT_TRUE(bool(empty)) << llvm::toString(empty.takeError());
}

TEST_F(EvaluatorErrors, DynamicShapeMismatchInAdd) {
  std::string message = runMainError(
      R"(
    func @main(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
      %0 = txc.add %a, %b : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
      return %0 : tensor<?xf32>
    })",
      {EvalValue::f32({2}, {1, 2}), EvalValue::f32({3}, {1, 2, 3})});
  EXPECT_TRUE(contains(message, "'txc.add' operand shapes differ: [2] and [3]"))
      << message;
}

TEST_F(EvaluatorErrors, CacheOriginOutOfRange) {
  std::string message = runMainError(
      R"(
    func @main(%c: tensor<?x1x?x1xf32>, %o: tensor<?xi32>) -> tensor<?x1x?x1xf32> {
      %0 = txc.kv_cache_read %c, %o : (tensor<?x1x?x1xf32>, tensor<?xi32>) -> tensor<?x1x?x1xf32>
      return %0 : tensor<?x1x?x1xf32>
    })",
      {EvalValue::f32({1, 1, 1, 1}, {1}), EvalValue::i32({2}, {0, 1})});
  EXPECT_TRUE(
      contains(message, "origin 1 of row 1 is outside the cache's 1 rows"))
      << message;
}

TEST_F(EvaluatorErrors, MatmulContractionMismatch) {
  std::string message = runMainError(
      R"(
    func @main(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
      %0 = txc.matmul %a, %b : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
      return %0 : tensor<?x?xf32>
    })",
      {EvalValue::f32({1, 2}, {1, 2}), EvalValue::f32({3, 1}, {1, 2, 3})});
  EXPECT_TRUE(contains(message, "contraction sizes differ")) << message;
}

TEST_F(EvaluatorErrors, LearnedPositionPastTheTable) {
  weights.add("pos", {2, 1}, {0, 1});
  std::string message =
      runMainError(R"(
    func @main(%x: tensor<?x?x1xf32>, %start: index) -> tensor<?x?x1xf32> {
      %t = txc.weight "pos" : tensor<2x1xf32>
      %0 = txc.learned_positions %x, %t, %start {offset = 0 : i64} : (tensor<?x?x1xf32>, tensor<2x1xf32>, index) -> tensor<?x?x1xf32>
      return %0 : tensor<?x?x1xf32>
    })",
                   {EvalValue::f32({1, 2, 1}, {0, 0}), EvalValue::index(1)});
  EXPECT_TRUE(
      contains(message, "positions [1, 3) fall outside the table's 2 rows"))
      << message;
}

TEST_F(EvaluatorErrors, UnsupportedConstant) {
  std::string message = runMainError(R"(
    func @main() -> index {
      %0 = arith.constant 1.0 : f32
      %1 = arith.constant 0 : index
      return %1 : index
    })",
                                     {});
  EXPECT_TRUE(contains(message, "only index constants are supported"))
      << message;
}

TEST_F(EvaluatorErrors, WeightsAreReadOncePerEvaluator) {
  class CountingWeights : public WeightSource {
  public:
    llvm::Expected<WeightView> lookup(llvm::StringRef) const override {
      ++lookups;
      return WeightView{shape, values};
    }
    mutable int lookups = 0;
    std::vector<int64_t> shape{3, 2};
    std::vector<float> values{1, 2, 3, 4, 5, 6};
  } counting;
  mlir::ModuleOp module = parse(kEmbedding);
  auto fn = module.lookupSymbol<mlir::FuncOp>("main");
  Evaluator evaluator(counting);
  for (int i = 0; i < 3; ++i) {
    auto results = evaluator.run(fn, {EvalValue::i32({1, 1}, {1})});
    ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  }
  EXPECT_EQ(counting.lookups, 1);
}

TEST_F(EvaluatorErrors, UnpackRowsCountsTheRowsTheLengthsGive) {
  std::string message = runMainError(R"(
    func @main(%p: tensor<?x2xf32>, %len: tensor<?xi32>, %ids: tensor<?x?xi32>) -> tensor<?x?x2xf32> {
      %0 = txc.unpack_rows %p, %len, %ids : (tensor<?x2xf32>, tensor<?xi32>, tensor<?x?xi32>) -> tensor<?x?x2xf32>
      return %0 : tensor<?x?x2xf32>
    })",
                                     {EvalValue::f32({3, 2}, {1, 2, 3, 4, 5, 6}),
                                      EvalValue::i32({2}, {1, 1}),
                                      EvalValue::i32({2, 4}, std::vector<int32_t>(8, 0))});
  EXPECT_TRUE(contains(message, "txc.unpack_rows")) << message;
  EXPECT_TRUE(contains(message, "lengths give 2 packed rows but got 3"))
      << message;
  message = runMainError(R"(
    func @main(%x: tensor<?x?x2xf32>, %len: tensor<?xi32>) -> tensor<?x2xf32> {
      %0 = txc.pack_rows %x, %len : (tensor<?x?x2xf32>, tensor<?xi32>) -> tensor<?x2xf32>
      return %0 : tensor<?x2xf32>
    })",
                         {EvalValue::f32({1, 1, 2}, {1, 2}),
                          EvalValue::i32({2}, {1, 1})});
  EXPECT_TRUE(contains(message, "has 2 lengths for a batch of 1")) << message;
}

} // namespace
