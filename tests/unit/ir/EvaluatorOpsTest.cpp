// Each op of the evaluator on small inputs with hand-computed results.
#include "EvalTestSupport.h"

#include <cmath>
#include <limits>

using namespace txc;
using namespace txc::testing;

namespace {

const float kInf = std::numeric_limits<float>::infinity();

using EvaluatorOps = TxcModuleTest;

TEST_F(EvaluatorOps, EmbeddingLooksUpRowsTimesScale) {
  weights.add("emb", {3, 2}, {1, 2, 3, 4, 5, 6});
  EvalValue out = runMainOk(R"(
    func @main(%ids: tensor<?x?xi32>) -> tensor<?x?x2xf32> {
      %t = txc.weight "emb" : tensor<3x2xf32>
      %0 = txc.embedding %t, %ids {scale = 2.0 : f64} : (tensor<3x2xf32>, tensor<?x?xi32>) -> tensor<?x?x2xf32>
      return %0 : tensor<?x?x2xf32>
    })",
                            {EvalValue::i32({1, 2}, {2, 0})});
  expectTensor(out, {1, 2, 2}, {10, 12, 2, 4});
}

const char *kSinusoid = R"(
    func @main(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
      %start = arith.constant 1 : index
      %0 = txc.sinusoid_positions %x, %start {layout = "LAYOUT", offset = 2 : i64} : (tensor<?x?x4xf32>, index) -> tensor<?x?x4xf32>
      return %0 : tensor<?x?x4xf32>
    })";

std::string withLayout(const char *layout) {
  std::string text = kSinusoid;
  text.replace(text.find("LAYOUT"), 6, layout);
  return text;
}

TEST_F(EvaluatorOps, SinusoidInterleavedPutsSinAtEvenFeatures) {
  // Positions 1 + j + 2 = 3, 4; angles p and p / 10000^(2/4) = p / 100.
  EvalValue x = EvalValue::f32({1, 2, 4}, {0, 0, 0, 0, 1, 1, 1, 1});
  EvalValue out = runMainOk(withLayout("interleaved"), {x});
  expectTensor(out, {1, 2, 4},
               {std::sin(3.f), std::cos(3.f), std::sin(.03f), std::cos(.03f),
                1 + std::sin(4.f), 1 + std::cos(4.f), 1 + std::sin(.04f),
                1 + std::cos(.04f)});
}

TEST_F(EvaluatorOps, SinusoidHalvesPutsSinInTheFirstHalf) {
  EvalValue x = EvalValue::f32({1, 2, 4}, std::vector<float>(8, 0.f));
  EvalValue out = runMainOk(withLayout("halves"), {x});
  expectTensor(out, {1, 2, 4},
               {std::sin(3.f), std::sin(.03f), std::cos(3.f), std::cos(.03f),
                std::sin(4.f), std::sin(.04f), std::cos(4.f), std::cos(.04f)});
}

const char *kLearned = R"(
    func @main(%x: tensor<?x?x2xf32>, %start: index) -> tensor<?x?x2xf32> {
      %t = txc.weight "pos" : tensor<4x2xf32>
      %0 = txc.learned_positions %x, %t, %start {offset = 1 : i64} : (tensor<?x?x2xf32>, tensor<4x2xf32>, index) -> tensor<?x?x2xf32>
      return %0 : tensor<?x?x2xf32>
    })";

TEST_F(EvaluatorOps, LearnedPositionsAddTableRowsFromStartPlusOffset) {
  weights.add("pos", {4, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  EvalValue out = runMainOk(
      kLearned, {EvalValue::f32({1, 2, 2}, {1, 1, 2, 2}), EvalValue::index(1)});
  expectTensor(out, {1, 2, 2}, {21, 22, 32, 33});
}

TEST_F(EvaluatorOps, LinearIsXTimesWeightTransposedPlusBias) {
  weights.add("w", {3, 2}, {1, 0, 0, 1, 1, 1});
  weights.add("b", {3}, {0.5f, -1, 0});
  EvalValue out = runMainOk(R"(
    func @main(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
      %w = txc.weight "w" : tensor<3x2xf32>
      %b = txc.weight "b" : tensor<3xf32>
      %0 = txc.linear %x, %w, %b : (tensor<?x?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
      return %0 : tensor<?x?x3xf32>
    })",
                            {EvalValue::f32({2, 1, 2}, {2, 3, -1, 4})});
  expectTensor(out, {2, 1, 3}, {2.5f, 2, 5, -0.5f, 3, 3});
}

TEST_F(EvaluatorOps, LinearWithoutBiasHandlesAnEmptyBatch) {
  weights.add("w", {3, 2}, {1, 0, 0, 1, 1, 1});
  EvalValue out = runMainOk(R"(
    func @main(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
      %w = txc.weight "w" : tensor<3x2xf32>
      %0 = txc.linear %x, %w : (tensor<?x?x2xf32>, tensor<3x2xf32>) -> tensor<?x?x3xf32>
      return %0 : tensor<?x?x3xf32>
    })",
                            {EvalValue::f32({0, 5, 2}, {})});
  expectTensor(out, {0, 5, 3}, {});
}

std::string matmulText(const char *attrs, const char *lhs, const char *rhs) {
  return std::string("func @main(%a: ") + lhs + ", %b: " + rhs +
         ") -> tensor<?x?x?xf32> {\n  %0 = txc.matmul %a, %b " + attrs +
         " : (" + lhs + ", " + rhs + ") -> tensor<?x?x?xf32>\n" +
         "  return %0 : tensor<?x?x?xf32>\n}";
}

TEST_F(EvaluatorOps, MatmulMultipliesEachBatch) {
  // Batch 0: [[1,2]] x [[1,0],[0,1]]; batch 1: [[3,4]] x [[1,1],[2,2]].
  EvalValue a = EvalValue::f32({2, 1, 2}, {1, 2, 3, 4});
  EvalValue b = EvalValue::f32({2, 2, 2}, {1, 0, 0, 1, 1, 1, 2, 2});
  const char *t = "tensor<?x?x?xf32>";
  expectTensor(runMainOk(matmulText("", t, t), {a, b}), {2, 1, 2},
               {1, 2, 11, 11});
  // b transposed: rows of b are the columns used.
  expectTensor(runMainOk(matmulText("{transpose_b = true}", t, t), {a, b}),
               {2, 1, 2}, {1, 2, 7, 14});
  // a transposed: a is [batch, k=2, m=1]... read as [k, m] = [2, 1].
  EvalValue at = EvalValue::f32({2, 2, 1}, {1, 2, 3, 4});
  expectTensor(runMainOk(matmulText("{transpose_a = true}", t, t), {at, b}),
               {2, 1, 2}, {1, 2, 11, 11});
}

TEST_F(EvaluatorOps, SplitAndMergeHeadsMoveFeatureBlocks) {
  EvalValue x = EvalValue::f32({1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  const char *split = R"(
    func @main(%x: tensor<?x?x4xf32>) -> tensor<?x2x?x2xf32> {
      %0 = txc.split_heads %x {heads = 2 : i64} : (tensor<?x?x4xf32>) -> tensor<?x2x?x2xf32>
      return %0 : tensor<?x2x?x2xf32>
    })";
  EvalValue heads = runMainOk(split, {x});
  expectTensor(heads, {1, 2, 2, 2}, {1, 2, 5, 6, 3, 4, 7, 8});
  const char *merge = R"(
    func @main(%x: tensor<?x2x?x2xf32>) -> tensor<?x?x4xf32> {
      %0 = txc.merge_heads %x : (tensor<?x2x?x2xf32>) -> tensor<?x?x4xf32>
      return %0 : tensor<?x?x4xf32>
    })";
  expectTensor(runMainOk(merge, {heads}), {1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
}

// Sequence 0 keeps 2 of its 3 positions, sequence 1 none (a negative length
// counts as 0), sequence 2 all 3 (a length past the width is clamped).
TEST_F(EvaluatorOps, PackAndUnpackRowsKeepRealPositionsInOrder) {
  EvalValue x = EvalValue::f32({3, 3, 2}, {1, 2, 3, 4, 5, 6,       //
                                           7, 8, 9, 10, 11, 12,    //
                                           13, 14, 15, 16, 17, 18});
  EvalValue lengths = EvalValue::i32({3}, {2, -1, 7});
  EvalValue ids = EvalValue::i32({3, 3}, std::vector<int32_t>(9, 0));
  EvalValue packed = runMainOk(R"(
    func @main(%x: tensor<?x?x2xf32>, %len: tensor<?xi32>) -> tensor<?x2xf32> {
      %0 = txc.pack_rows %x, %len : (tensor<?x?x2xf32>, tensor<?xi32>) -> tensor<?x2xf32>
      return %0 : tensor<?x2xf32>
    })",
                               {x, lengths});
  expectTensor(packed, {5, 2}, {1, 2, 3, 4, 13, 14, 15, 16, 17, 18});
  EvalValue unpacked = runMainOk(R"(
    func @main(%p: tensor<?x2xf32>, %len: tensor<?xi32>, %ids: tensor<?x?xi32>) -> tensor<?x?x2xf32> {
      %0 = txc.unpack_rows %p, %len, %ids : (tensor<?x2xf32>, tensor<?xi32>, tensor<?x?xi32>) -> tensor<?x?x2xf32>
      return %0 : tensor<?x?x2xf32>
    })",
                                 {packed, lengths, ids});
  expectTensor(unpacked, {3, 3, 2}, {1, 2, 3, 4, 0, 0,  //
                                     0, 0, 0, 0, 0, 0,  //
                                     13, 14, 15, 16, 17, 18});
}

std::string unaryText(const std::string &op, const std::string &attrs = "") {
  return "func @main(%x: tensor<?xf32>) -> tensor<?xf32> {\n  %0 = txc." + op +
         " %x " + attrs +
         " : (tensor<?xf32>) -> tensor<?xf32>\n  return %0 : tensor<?xf32>\n}";
}

TEST_F(EvaluatorOps, ScaleAndActivations) {
  EvalValue x = EvalValue::f32({3}, {-1, 0, 1});
  expectTensor(runMainOk(unaryText("scale", "{factor = 0.5 : f64}"), {x}), {3},
               {-0.5f, 0, 0.5f});
  expectTensor(runMainOk(unaryText("relu"), {x}), {3}, {0, 0, 1});
  expectTensor(runMainOk(unaryText("gelu"), {x}), {3},
               {-0.15865525f, 0, 0.84134475f});
  expectTensor(runMainOk(unaryText("gelu_tanh"), {x}), {3},
               {-0.15880801f, 0, 0.84119199f});
  expectTensor(runMainOk(unaryText("swish"), {x}), {3},
               {-0.26894142f, 0, 0.73105858f});
}

TEST_F(EvaluatorOps, AddSumsElementwise) {
  EvalValue out = runMainOk(R"(
    func @main(%a: tensor<?x2xf32>, %b: tensor<?x2xf32>) -> tensor<?x2xf32> {
      %0 = txc.add %a, %b : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
      return %0 : tensor<?x2xf32>
    })",
                            {EvalValue::f32({2, 2}, {1, 2, 3, 4}),
                             EvalValue::f32({2, 2}, {10, 20, 30, 40})});
  expectTensor(out, {2, 2}, {11, 22, 33, 44});
}

TEST_F(EvaluatorOps, PaddingMaskHidesKeysPastEachLength) {
  EvalValue out = runMainOk(R"(
    func @main(%s: tensor<?x1x1x?xf32>, %len: tensor<?xi32>) -> tensor<?x1x1x?xf32> {
      %0 = txc.padding_mask %s, %len : (tensor<?x1x1x?xf32>, tensor<?xi32>) -> tensor<?x1x1x?xf32>
      return %0 : tensor<?x1x1x?xf32>
    })",
                            {EvalValue::f32({2, 1, 1, 3}, {1, 2, 3, 4, 5, 6}),
                             EvalValue::i32({2}, {1, 3})});
  expectTensor(out, {2, 1, 1, 3}, {1, -kInf, -kInf, 4, 5, 6});
}

TEST_F(EvaluatorOps, CausalMaskHidesKeysAfterQueryPlusOffset) {
  EvalValue out =
      runMainOk(R"(
    func @main(%s: tensor<1x1x?x?xf32>, %offset: index) -> tensor<1x1x?x?xf32> {
      %0 = txc.causal_mask %s, %offset : (tensor<1x1x?x?xf32>, index) -> tensor<1x1x?x?xf32>
      return %0 : tensor<1x1x?x?xf32>
    })",
                {EvalValue::f32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}),
                 EvalValue::index(1)});
  expectTensor(out, {1, 1, 2, 4}, {1, 2, -kInf, -kInf, 5, 6, 7, -kInf});
}

TEST_F(EvaluatorOps, SoftmaxNormalisesRowsAndZeroesFullyMaskedOnes) {
  EvalValue x =
      EvalValue::f32({3, 3}, {1, 2, 3, -kInf, -kInf, -kInf, 0, -kInf, 0});
  EvalValue out = runMainOk(R"(
    func @main(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
      %0 = txc.softmax %x : (tensor<?x?xf32>) -> tensor<?x?xf32>
      return %0 : tensor<?x?xf32>
    })",
                            {x});
  double z = std::exp(1.) + std::exp(2.) + std::exp(3.);
  expectTensor(out, {3, 3},
               {float(std::exp(1.) / z), float(std::exp(2.) / z),
                float(std::exp(3.) / z), 0, 0, 0, 0.5f, 0, 0.5f});
}

TEST_F(EvaluatorOps, LayerNormUsesBiasedVariance) {
  weights.add("g", {3}, {1, 2, 1});
  weights.add("b", {3}, {0, 0, 1});
  EvalValue out = runMainOk(R"(
    func @main(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
      %g = txc.weight "g" : tensor<3xf32>
      %b = txc.weight "b" : tensor<3xf32>
      %0 = txc.layer_norm %x, %g, %b {eps = 0.01 : f64} : (tensor<?x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
      return %0 : tensor<?x3xf32>
    })",
                            {EvalValue::f32({1, 3}, {1, 2, 3})});
  float inv = 1 / std::sqrt(2.f / 3 + 0.01f);
  expectTensor(out, {1, 3}, {-inv, 0, 1 + inv});
}

const char *kCacheRead = R"(
    func @main(%c: tensor<?x1x?x1xf32>, %o: tensor<?xi32>) -> tensor<?x1x?x1xf32> {
      %0 = txc.kv_cache_read %c, %o : (tensor<?x1x?x1xf32>, tensor<?xi32>) -> tensor<?x1x?x1xf32>
      return %0 : tensor<?x1x?x1xf32>
    })";

TEST_F(EvaluatorOps, KvCacheReadGathersOriginRows) {
  EvalValue cache = EvalValue::f32({2, 1, 2, 1}, {10, 11, 20, 21});
  expectTensor(runMainOk(kCacheRead, {cache, EvalValue::i32({3}, {1, 1, 0})}),
               {3, 1, 2, 1}, {20, 21, 20, 21, 10, 11});
  // Empty caches (step 0) keep their zero length.
  EvalValue empty = EvalValue::f32({2, 1, 0, 1}, {});
  expectTensor(runMainOk(kCacheRead, {empty, EvalValue::i32({2}, {0, 1})}),
               {2, 1, 0, 1}, {});
}

TEST_F(EvaluatorOps, KvCacheAppendConcatenatesPositions) {
  const char *append = R"(
    func @main(%c: tensor<?x?x?x2xf32>, %n: tensor<?x?x?x2xf32>) -> tensor<?x?x?x2xf32> {
      %0 = txc.kv_cache_append %c, %n : (tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32>) -> tensor<?x?x?x2xf32>
      return %0 : tensor<?x?x?x2xf32>
    })";
  EvalValue cache = EvalValue::f32({1, 2, 1, 2}, {1, 2, 3, 4});
  EvalValue update = EvalValue::f32({1, 2, 1, 2}, {5, 6, 7, 8});
  expectTensor(runMainOk(append, {cache, update}), {1, 2, 2, 2},
               {1, 2, 5, 6, 3, 4, 7, 8});
  EvalValue empty = EvalValue::f32({1, 2, 0, 2}, {});
  expectTensor(runMainOk(append, {empty, update}), {1, 2, 1, 2}, {5, 6, 7, 8});
}

} // namespace
