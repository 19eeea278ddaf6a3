#include "runtime/Builtins.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace txc::runtime;

namespace {

const float kInf = std::numeric_limits<float>::infinity();

Operand f32(std::vector<float> &data, Dims shape) {
  return Operand{TensorView(DType::F32, std::move(shape), data.data()), 0, true};
}
Operand i32(std::vector<int32_t> &data, Dims shape) {
  return Operand{TensorView(DType::I32, std::move(shape), data.data()), 0, true};
}
Operand index(int64_t v) {
  Operand o;
  o.tensor.dtype = DType::Index;
  o.index = v;
  o.present = true;
  return o;
}
Operand absent() { return Operand(); }

PlanStep makeStep(OpKind kind, std::map<std::string, AttrValue> attrs = {}) {
  PlanStep s;
  s.kind = kind;
  s.attrs = std::move(attrs);
  return s;
}

std::vector<float> run(const PlanStep &step, const std::vector<Operand> &ops,
                       const Dims &shape) {
  std::vector<float> out(numElements(shape), -12345.0f);
  Status s = runBuiltin(step, ops, TensorView(DType::F32, shape, out.data()));
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

void expectNear(const std::vector<float> &got, const std::vector<float> &want,
                float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isinf(want[i]))
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    else
      EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
  }
}

TEST(Builtins, EmbeddingScalesRows) {
  std::vector<float> table = {0, 1, 10, 11, 20, 21};
  std::vector<int32_t> ids = {2, 0, 1, 2};
  auto out = run(makeStep(OpKind::Embedding, {{"scale", 2.0}}),
                 {f32(table, {3, 2}), i32(ids, {2, 2})}, {2, 2, 2});
  expectNear(out, {40, 42, 0, 2, 20, 22, 40, 42});
}

TEST(Builtins, EmbeddingRejectsOutOfRangeId) {
  std::vector<float> table(6), out(2);
  std::vector<int32_t> ids = {3};
  Status s = runBuiltin(makeStep(OpKind::Embedding, {{"scale", 1.0}}),
                        {f32(table, {3, 2}), i32(ids, {1, 1})},
                        TensorView(DType::F32, {1, 1, 2}, out.data()));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("token id 3"), std::string::npos);
}

// A table of 5 rows of 2 packed in panels of 4 rows (runtime/PanelLayout.h):
// [2, 2, 4], the last panel padded with 3 zero rows.
TEST(Builtins, EmbeddingGathersFromPanels) {
  std::vector<float> rows = {0, 1, 10, 11, 20, 21, 30, 31, 40, 41};
  std::vector<float> panels(2 * 2 * 4, 0.0f);
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t c = 0; c < 2; ++c)
      panels[((r / 4) * 2 + c) * 4 + r % 4] = rows[r * 2 + c];
  std::vector<int32_t> ids = {4, 0, 3, 1};
  PlanStep step = makeStep(OpKind::Embedding, {{"scale", 2.0}, {"vocab", 5}});
  auto fromPanels = run(step, {f32(panels, {2, 2, 4}), i32(ids, {2, 2})},
                        {2, 2, 2});
  auto fromRows = run(makeStep(OpKind::Embedding, {{"scale", 2.0}}),
                      {f32(rows, {5, 2}), i32(ids, {2, 2})}, {2, 2, 2});
  EXPECT_EQ(fromPanels, fromRows);
  expectNear(fromPanels, {80, 82, 0, 2, 60, 62, 20, 22});

  // A padding row is not a token.
  std::vector<int32_t> padding = {5};
  std::vector<float> out(2);
  Status s = runBuiltin(step, {f32(panels, {2, 2, 4}), i32(padding, {1, 1})},
                        TensorView(DType::F32, {1, 1, 2}, out.data()));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "token id 5 is outside the embedding table [0, 5)");
}

TEST(Builtins, SinusoidLayouts) {
  // d = 4: pair i has angle p / 10000^(2i/4), i.e. p and p / 100.
  std::vector<float> x(8, 0.0f); // [1, 2, 4], positions 3 and 4 (start 1, offset 2)
  auto interleaved = run(makeStep(OpKind::SinusoidPositions,
                                  {{"layout", std::string("interleaved")},
                                   {"offset", int64_t(2)}}),
                         {f32(x, {1, 2, 4}), index(1)}, {1, 2, 4});
  auto halves = run(makeStep(OpKind::SinusoidPositions,
                             {{"layout", std::string("halves")},
                              {"offset", int64_t(2)}}),
                    {f32(x, {1, 2, 4}), index(1)}, {1, 2, 4});
  std::vector<float> wantInterleaved, wantHalves;
  for (double p : {3.0, 4.0}) {
    wantInterleaved.insert(wantInterleaved.end(),
                           {float(std::sin(p)), float(std::cos(p)),
                            float(std::sin(p / 100)), float(std::cos(p / 100))});
    wantHalves.insert(wantHalves.end(),
                      {float(std::sin(p)), float(std::sin(p / 100)),
                       float(std::cos(p)), float(std::cos(p / 100))});
  }
  expectNear(interleaved, wantInterleaved);
  expectNear(halves, wantHalves);
}

TEST(Builtins, LearnedPositionsAddTableRows) {
  std::vector<float> x = {1, 1, 1, 1, 2, 2, 2, 2}; // [2, 2, 2]
  std::vector<float> table = {0, 0, 10, 20, 30, 40, 50, 60}; // [4, 2]
  auto out = run(makeStep(OpKind::LearnedPositions, {{"offset", int64_t(1)}}),
                 {f32(x, {2, 2, 2}), f32(table, {4, 2}), index(1)}, {2, 2, 2});
  // Positions 2 and 3 (start 1 + offset 1).
  expectNear(out, {31, 41, 51, 61, 32, 42, 52, 62});
  std::vector<float> result(8);
  Status s = runBuiltin(makeStep(OpKind::LearnedPositions, {{"offset", int64_t(2)}}),
                        {f32(x, {2, 2, 2}), f32(table, {4, 2}), index(1)},
                        TensorView(DType::F32, {2, 2, 2}, result.data()));
  EXPECT_FALSE(s.ok());
}

TEST(Builtins, LinearWithAndWithoutBias) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6};       // [2, 3]
  std::vector<float> w = {1, 0, 0, 0, 1, 1};       // [2, 3]
  std::vector<float> b = {10, -20};
  expectNear(run(makeStep(OpKind::Linear), {f32(x, {2, 3}), f32(w, {2, 3}), f32(b, {2})},
                 {2, 2}),
             {11, -15, 14, -9});
  expectNear(run(makeStep(OpKind::Linear), {f32(x, {2, 3}), f32(w, {2, 3}), absent()},
                 {2, 2}),
             {1, 5, 4, 11});
  expectNear(run(makeStep(OpKind::LinearActivation, {{"activation", std::string("relu")}}),
                 {f32(x, {2, 3}), f32(w, {2, 3}), f32(b, {2})}, {2, 2}),
             {11, 0, 14, 0});
}

TEST(Builtins, LinearLargeMatchesNaive) {
  const int m = 37, k = 70, n = 130;
  std::vector<float> x(m * k), w(n * k), b(n);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(0.1f * i);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::cos(0.07f * i);
  for (int i = 0; i < n; ++i)
    b[i] = 0.01f * i;
  auto out = run(makeStep(OpKind::Linear), {f32(x, {m, k}), f32(w, {n, k}), f32(b, {n})},
                 {m, n});
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < n; ++c) {
      double s = b[c];
      for (int i = 0; i < k; ++i)
        s += double(x[r * k + i]) * w[c * k + i];
      ASSERT_NEAR(out[r * n + c], s, 1e-3) << r << "," << c;
    }
}

TEST(Builtins, MatmulTransposes) {
  std::vector<float> a = {1, 2, 3, 4, 5, 6}; // [2, 3]
  std::vector<float> b = {1, 0, 0, 1, 1, 1}; // [3, 2]
  expectNear(run(makeStep(OpKind::Matmul), {f32(a, {2, 3}), f32(b, {3, 2})}, {2, 2}),
             {4, 5, 10, 11});
  // a^T [3, 2] x a [2, 3]
  auto ata = run(makeStep(OpKind::Matmul, {{"transpose_a", true}}),
                 {f32(a, {2, 3}), f32(a, {2, 3})}, {3, 3});
  expectNear(ata, {17, 22, 27, 22, 29, 36, 27, 36, 45});
  // a [2, 3] x a^T [3, 2]
  auto aat = run(makeStep(OpKind::Matmul, {{"transpose_b", true}}),
                 {f32(a, {2, 3}), f32(a, {2, 3})}, {2, 2});
  expectNear(aat, {14, 32, 32, 77});
}

TEST(Builtins, MatmulReadsStridedBatches) {
  // b is a [2, 2, 2] view into a buffer with 3 rows of room per batch, as
  // a KV cache lays out its positions.
  std::vector<float> a = {1, 1, 2, 0}; // [2, 1, 2]
  std::vector<float> storage = {1, 2, 3, 4, -9, -9, 5, 6, 7, 8, -9, -9};
  TensorView strided(DType::F32, {2, 2, 2}, storage.data());
  strided.strides = {6, 2, 1};
  auto out = run(makeStep(OpKind::Matmul),
                 {f32(a, {2, 1, 2}), Operand{strided, 0, true}}, {2, 1, 2});
  expectNear(out, {4, 6, 10, 12});
}

TEST(Builtins, SplitAndMergeHeads) {
  std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7}; // [1, 2, 4] -> 2 heads
  auto split = run(makeStep(OpKind::SplitHeads, {{"heads", int64_t(2)}}),
                   {f32(x, {1, 2, 4})}, {1, 2, 2, 2});
  expectNear(split, {0, 1, 4, 5, 2, 3, 6, 7});
  auto merged = run(makeStep(OpKind::MergeHeads), {f32(split, {1, 2, 2, 2})}, {1, 2, 4});
  expectNear(merged, x);
}

TEST(Builtins, PackAndUnpackRowsSkipPadding) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // [2, 3, 2]
  std::vector<int32_t> lengths = {1, 3};
  std::vector<int32_t> ids(6, 0);
  auto packed = run(makeStep(OpKind::PackRows),
                    {f32(x, {2, 3, 2}), i32(lengths, {2})}, {4, 2});
  expectNear(packed, {1, 2, 7, 8, 9, 10, 11, 12});
  // The padding rows are written too: zeros, not what the arena held.
  auto unpacked = run(makeStep(OpKind::UnpackRows),
                      {f32(packed, {4, 2}), i32(lengths, {2}), i32(ids, {2, 3})},
                      {2, 3, 2});
  expectNear(unpacked, {1, 2, 0, 0, 0, 0, 7, 8, 9, 10, 11, 12});
}

TEST(Builtins, SliceCopiesARangeOfTheLastAxis) {
  std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; // [2, 6]
  auto out = run(makeStep(OpKind::Slice, {{"offset", int64_t(2)},
                                          {"size", int64_t(3)}}),
                 {f32(x, {2, 6})}, {2, 3});
  expectNear(out, {2, 3, 4, 8, 9, 10});
}

TEST(Builtins, SplitHeadsReadsASlice) {
  // [1, 2, 6]: rows of q (2 features) and k (4 features, 2 heads) side by
  // side; split_heads reads k's view, whose rows are 6 apart.
  std::vector<float> qk = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  TensorView all(DType::F32, {1, 2, 6}, qk.data());
  Operand k{sliceLastAxis(all, 2, 4), 0, true};
  EXPECT_FALSE(k.tensor.isDense());
  EXPECT_TRUE(builtinReadsStrided(OpKind::SplitHeads));
  auto split = run(makeStep(OpKind::SplitHeads, {{"heads", int64_t(2)}}), {k},
                   {1, 2, 2, 2});
  expectNear(split, {2, 3, 8, 9, 4, 5, 10, 11});
}

TEST(Builtins, ElementwiseOps) {
  std::vector<float> x = {-3, -0.5f, 0, 1.5f};
  std::vector<float> y = {1, 2, 3, 4};
  expectNear(run(makeStep(OpKind::Scale, {{"factor", 0.5}}), {f32(x, {4})}, {4}),
             {-1.5f, -0.25f, 0, 0.75f});
  expectNear(run(makeStep(OpKind::Add), {f32(x, {4}), f32(y, {4})}, {4}),
             {-2, 1.5f, 3, 5.5f});
  expectNear(run(makeStep(OpKind::Relu), {f32(x, {4})}, {4}), {0, 0, 0, 1.5f});
  std::vector<float> gelu, geluTanh, swish;
  for (float v : x) {
    gelu.push_back(float(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))));
    geluTanh.push_back(float(
        0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)))));
    swish.push_back(float(v / (1 + std::exp(-v))));
  }
  expectNear(run(makeStep(OpKind::Gelu), {f32(x, {4})}, {4}), gelu);
  expectNear(run(makeStep(OpKind::GeluTanh), {f32(x, {4})}, {4}), geluTanh);
  expectNear(run(makeStep(OpKind::Swish), {f32(x, {4})}, {4}), swish);
  // erf GELU and tanh GELU differ visibly at -3.
  EXPECT_GT(std::abs(gelu[0] - geluTanh[0]), 1e-4f);
}

TEST(Builtins, Masks) {
  std::vector<float> scores(2 * 1 * 2 * 3, 1.0f); // [2, 1, 2, 3]
  std::vector<int32_t> lengths = {2, 3};
  expectNear(run(makeStep(OpKind::PaddingMask),
                 {f32(scores, {2, 1, 2, 3}), i32(lengths, {2})}, {2, 1, 2, 3}),
             {1, 1, -kInf, 1, 1, -kInf, 1, 1, 1, 1, 1, 1});
  // offset 1: query q sees keys 0..q+1.
  expectNear(run(makeStep(OpKind::CausalMask), {f32(scores, {2, 1, 2, 3}), index(1)},
                 {2, 1, 2, 3}),
             {1, 1, -kInf, 1, 1, 1, 1, 1, -kInf, 1, 1, 1});
}

TEST(Builtins, SoftmaxAndAllMaskedRow) {
  std::vector<float> x = {0, std::log(3.0f), -kInf, -kInf, -kInf, -kInf};
  auto out = run(makeStep(OpKind::Softmax), {f32(x, {2, 3})}, {2, 3});
  expectNear(out, {0.25f, 0.75f, 0, 0, 0, 0});
}

TEST(Builtins, LayerNorm) {
  std::vector<float> x = {1, 2, 3, 4}, gamma = {1, 2, 1, 1}, beta = {0, 0, 1, 0};
  // mean 2.5, biased variance 1.25.
  float inv = 1.0f / std::sqrt(1.25f + 1e-5f);
  std::vector<float> want = {-1.5f * inv, -0.5f * inv * 2, 0.5f * inv + 1, 1.5f * inv};
  expectNear(run(makeStep(OpKind::LayerNorm, {{"eps", 1e-5}}),
                 {f32(x, {1, 4}), f32(gamma, {4}), f32(beta, {4})}, {1, 4}),
             want);
  std::vector<float> half = {0.5f, 1, 1.5f, 2};
  expectNear(run(makeStep(OpKind::AddLayerNorm, {{"eps", 1e-5}}),
                 {f32(half, {1, 4}), f32(half, {1, 4}), f32(gamma, {4}), f32(beta, {4})},
                 {1, 4}),
             want);
}

TEST(Builtins, KvCacheReadAndAppend) {
  std::vector<float> cache = {0, 1, 2, 3, 10, 11, 12, 13}; // [2, 1, 2, 2]
  std::vector<int32_t> origin = {1, 1, 0};
  expectNear(run(makeStep(OpKind::KvCacheRead),
                 {f32(cache, {2, 1, 2, 2}), i32(origin, {3})}, {3, 1, 2, 2}),
             {10, 11, 12, 13, 10, 11, 12, 13, 0, 1, 2, 3});
  std::vector<float> update = {4, 5, 14, 15}; // [2, 1, 1, 2]
  expectNear(run(makeStep(OpKind::KvCacheAppend),
                 {f32(cache, {2, 1, 2, 2}), f32(update, {2, 1, 1, 2})}, {2, 1, 3, 2}),
             {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  std::vector<int32_t> bad = {2};
  std::vector<float> out(4);
  EXPECT_FALSE(runBuiltin(makeStep(OpKind::KvCacheRead),
                          {f32(cache, {2, 1, 2, 2}), i32(bad, {1})},
                          TensorView(DType::F32, {1, 1, 2, 2}, out.data()))
                   .ok());
}

TEST(Builtins, AttentionMatchesItsPieces) {
  // One batch, one head, 2 queries, 3 keys, dim 2; length 2 masks key 2,
  // causal offset 0 masks key 1 for query 0.
  std::vector<float> q = {1, 0, 0, 1}, k = {1, 0, 0, 1, 5, 5}, v = {1, 2, 3, 4, 100, 100};
  std::vector<int32_t> lengths = {2};
  auto out = run(makeStep(OpKind::Attention, {{"scale", 1.0}}),
                 {f32(q, {1, 1, 2, 2}), f32(k, {1, 1, 3, 2}), f32(v, {1, 1, 3, 2}),
                  i32(lengths, {1}), index(0)},
                 {1, 1, 2, 2});
  // Query 0 sees key 0 only; query 1 sees keys 0, 1 with scores 0, 1.
  float p1 = std::exp(1.0f) / (1 + std::exp(1.0f));
  expectNear(out, {1, 2, (1 - p1) * 1 + p1 * 3, (1 - p1) * 2 + p1 * 4});
}

TEST(Builtins, AttentionReadsSharedKeysThroughKeyRows) {
  // Two query rows share the one row of K/V: scores (1, 0) and (0, 1).
  std::vector<float> q = {1, 0, 0, 1}, k = {1, 0, 0, 1}, v = {1, 2, 3, 4};
  std::vector<int32_t> rows = {0, 0};
  auto inputs = [&](std::vector<int32_t> &keyRows) {
    return std::vector<Operand>{f32(q, {2, 1, 1, 2}), f32(k, {1, 1, 2, 2}),
                                f32(v, {1, 1, 2, 2}), absent(), absent(),
                                i32(keyRows, {2})};
  };
  auto out = run(makeStep(OpKind::Attention, {{"scale", 1.0}}), inputs(rows),
                 {2, 1, 1, 2});
  float p = std::exp(1.0f) / (1 + std::exp(1.0f));
  expectNear(out, {p * 1 + (1 - p) * 3, p * 2 + (1 - p) * 4,
                   (1 - p) * 1 + p * 3, (1 - p) * 2 + p * 4});
  std::vector<int32_t> bad = {0, 1};
  std::vector<float> result(4);
  Status s = runBuiltin(makeStep(OpKind::Attention, {{"scale", 1.0}}),
                        inputs(bad),
                        TensorView(DType::F32, {2, 1, 1, 2}, result.data()));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("key row 1 of row 1 is outside the keys' 1 rows"),
            std::string::npos)
      << s.message();
}

} // namespace
