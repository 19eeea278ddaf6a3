#include "runtime/ShapeInference.h"

#include <gtest/gtest.h>

using namespace txc::runtime;

namespace {

PlanStep makeStep(OpKind kind, std::map<std::string, AttrValue> attrs = {}) {
  PlanStep s;
  s.kind = kind;
  s.attrs = std::move(attrs);
  return s;
}

// Infers with the given operand shapes; nullopt shapes are absent operands.
Status infer(const PlanStep &step, const std::vector<std::optional<Dims>> &shapes,
             Dims &out) {
  std::vector<const Dims *> ptrs;
  for (const auto &s : shapes)
    ptrs.push_back(s ? &*s : nullptr);
  return inferShape(step, ptrs, [](int) { return int64_t(0); }, out);
}

Dims inferOk(const PlanStep &step, const std::vector<std::optional<Dims>> &shapes) {
  Dims out;
  Status s = infer(step, shapes, out);
  EXPECT_TRUE(s.ok()) << opKindName(step.kind) << ": " << s.message();
  return out;
}

std::string inferError(const PlanStep &step,
                       const std::vector<std::optional<Dims>> &shapes) {
  Dims out;
  Status s = infer(step, shapes, out);
  EXPECT_FALSE(s.ok()) << opKindName(step.kind);
  return s.message();
}

const Dims kIndex{};

TEST(ShapeInference, Embedding) {
  EXPECT_EQ(inferOk(makeStep(OpKind::Embedding), {Dims{50, 8}, Dims{3, 7}}),
            (Dims{3, 7, 8}));
  inferError(makeStep(OpKind::Embedding), {Dims{50, 8}, Dims{21}});
  // A table in GEMM panels names its vocab.
  PlanStep panels = makeStep(OpKind::Embedding, {{"vocab", 50}});
  EXPECT_EQ(inferOk(panels, {Dims{4, 8, 16}, Dims{3, 7}}), (Dims{3, 7, 8}));
  EXPECT_EQ(inferError(panels, {Dims{3, 8, 16}, Dims{3, 7}}),
            "embedding panels [3, 8, 16] do not hold vocab 50");
  inferError(makeStep(OpKind::Embedding), {Dims{4, 8, 16}, Dims{3, 7}});
}

TEST(ShapeInference, Positions) {
  EXPECT_EQ(inferOk(makeStep(OpKind::SinusoidPositions), {Dims{2, 5, 8}, kIndex}),
            (Dims{2, 5, 8}));
  EXPECT_NE(inferError(makeStep(OpKind::SinusoidPositions),
                       {Dims{2, 5, 7}, kIndex})
                .find("even"),
            std::string::npos);
  EXPECT_EQ(inferOk(makeStep(OpKind::LearnedPositions),
                    {Dims{2, 5, 8}, Dims{20, 8}, kIndex}),
            (Dims{2, 5, 8}));
  inferError(makeStep(OpKind::LearnedPositions),
             {Dims{2, 5, 8}, Dims{20, 4}, kIndex});
}

TEST(ShapeInference, LinearKeepsLeadingDims) {
  EXPECT_EQ(inferOk(makeStep(OpKind::Linear),
                    {Dims{2, 5, 8}, Dims{16, 8}, Dims{16}}),
            (Dims{2, 5, 16}));
  EXPECT_EQ(inferOk(makeStep(OpKind::LinearActivation, {{"activation", std::string("relu")}}),
                    {Dims{4, 8}, Dims{3, 8}, std::nullopt}),
            (Dims{4, 3}));
  EXPECT_NE(inferError(makeStep(OpKind::Linear), {Dims{2, 5, 8}, Dims{16, 9}, std::nullopt})
                .find("[out, in]"),
            std::string::npos);
  inferError(makeStep(OpKind::Linear), {Dims{2, 5, 8}, Dims{16, 8}, Dims{15}});
}

TEST(ShapeInference, MatmulTransposes) {
  auto mm = [](bool ta, bool tb) {
    return makeStep(OpKind::Matmul, {{"transpose_a", ta}, {"transpose_b", tb}});
  };
  EXPECT_EQ(inferOk(mm(false, false), {Dims{2, 3, 4, 5}, Dims{2, 3, 5, 6}}),
            (Dims{2, 3, 4, 6}));
  EXPECT_EQ(inferOk(mm(false, true), {Dims{2, 3, 4, 5}, Dims{2, 3, 6, 5}}),
            (Dims{2, 3, 4, 6}));
  EXPECT_EQ(inferOk(mm(true, false), {Dims{5, 4}, Dims{5, 6}}), (Dims{4, 6}));
  inferError(mm(false, false), {Dims{2, 4, 5}, Dims{3, 5, 6}});
  inferError(mm(false, false), {Dims{4, 5}, Dims{4, 6}});
}

TEST(ShapeInference, Heads) {
  EXPECT_EQ(inferOk(makeStep(OpKind::SplitHeads, {{"heads", int64_t(4)}}),
                    {Dims{2, 5, 8}}),
            (Dims{2, 4, 5, 2}));
  inferError(makeStep(OpKind::SplitHeads, {{"heads", int64_t(3)}}), {Dims{2, 5, 8}});
  EXPECT_EQ(inferOk(makeStep(OpKind::MergeHeads), {Dims{2, 4, 5, 2}}),
            (Dims{2, 5, 8}));
}

TEST(ShapeInference, Elementwise) {
  for (OpKind k : {OpKind::Scale, OpKind::Relu, OpKind::Gelu, OpKind::GeluTanh,
                   OpKind::Swish, OpKind::Softmax})
    EXPECT_EQ(inferOk(makeStep(k), {Dims{3, 4}}), (Dims{3, 4}));
  EXPECT_EQ(inferOk(makeStep(OpKind::Add), {Dims{3, 4}, Dims{3, 4}}), (Dims{3, 4}));
  inferError(makeStep(OpKind::Add), {Dims{3, 4}, Dims{4, 3}});
}

TEST(ShapeInference, Masks) {
  EXPECT_EQ(inferOk(makeStep(OpKind::PaddingMask), {Dims{2, 4, 3, 5}, Dims{2}}),
            (Dims{2, 4, 3, 5}));
  inferError(makeStep(OpKind::PaddingMask), {Dims{2, 4, 3, 5}, Dims{3}});
  EXPECT_EQ(inferOk(makeStep(OpKind::CausalMask), {Dims{2, 4, 3, 5}, kIndex}),
            (Dims{2, 4, 3, 5}));
}

TEST(ShapeInference, LayerNorms) {
  EXPECT_EQ(inferOk(makeStep(OpKind::LayerNorm), {Dims{2, 3, 8}, Dims{8}, Dims{8}}),
            (Dims{2, 3, 8}));
  inferError(makeStep(OpKind::LayerNorm), {Dims{2, 3, 8}, Dims{8}, Dims{7}});
  EXPECT_EQ(inferOk(makeStep(OpKind::AddLayerNorm),
                    {Dims{2, 3, 8}, Dims{2, 3, 8}, Dims{8}, Dims{8}}),
            (Dims{2, 3, 8}));
  inferError(makeStep(OpKind::AddLayerNorm),
             {Dims{2, 3, 8}, Dims{2, 4, 8}, Dims{8}, Dims{8}});
}

TEST(ShapeInference, KvCache) {
  EXPECT_EQ(inferOk(makeStep(OpKind::KvCacheRead), {Dims{3, 2, 7, 4}, Dims{5}}),
            (Dims{5, 2, 7, 4}));
  EXPECT_EQ(inferOk(makeStep(OpKind::KvCacheAppend),
                    {Dims{5, 2, 7, 4}, Dims{5, 2, 1, 4}}),
            (Dims{5, 2, 8, 4}));
  inferError(makeStep(OpKind::KvCacheAppend), {Dims{5, 2, 7, 4}, Dims{4, 2, 1, 4}});
}

TEST(ShapeInference, PackedRowsCountTheLengthsKnownBeforeTheCall) {
  std::vector<int32_t> lengths = {3, 9, -2}; // clamped to 3, 5 and 0
  auto known = [&](int o) -> const int32_t * {
    return o == 1 ? lengths.data() : nullptr;
  };
  auto inferKnown = [&](OpKind kind, std::vector<const Dims *> ops, Dims &out) {
    return inferShape(makeStep(kind), ops, [](int) { return int64_t(0); }, out,
                      known);
  };
  Dims padded{3, 5, 8}, len{3}, ids{3, 5}, rows{8, 8}, out;
  ASSERT_TRUE(inferKnown(OpKind::PackRows, {&padded, &len}, out).ok());
  EXPECT_EQ(out, (Dims{8, 8}));
  ASSERT_TRUE(inferKnown(OpKind::UnpackRows, {&rows, &len, &ids}, out).ok());
  EXPECT_EQ(out, (Dims{3, 5, 8}));
  Dims tooMany{9, 8};
  EXPECT_EQ(inferKnown(OpKind::UnpackRows, {&tooMany, &len, &ids}, out).message(),
            "lengths give 8 packed rows but got operand 0 [9, 8]");
  Dims otherBatch{2, 5, 8};
  EXPECT_EQ(inferKnown(OpKind::PackRows, {&otherBatch, &len}, out).message(),
            "3 lengths for a batch of 2");
  // Lengths a step computes are not known when shapes are planned.
  EXPECT_NE(inferError(makeStep(OpKind::PackRows), {padded, len})
                .find("known before the call"),
            std::string::npos);
}

TEST(ShapeInference, SliceNarrowsTheLastAxis) {
  auto slice = [](int64_t offset, int64_t size) {
    return makeStep(OpKind::Slice, {{"offset", offset}, {"size", size}});
  };
  EXPECT_EQ(inferOk(slice(32, 32), {Dims{2, 5, 96}}), (Dims{2, 5, 32}));
  EXPECT_EQ(inferOk(slice(0, 96), {Dims{96}}), (Dims{96}));
  EXPECT_NE(inferError(slice(64, 33), {Dims{2, 5, 96}}).find("[64, 97)"),
            std::string::npos);
  inferError(slice(-1, 4), {Dims{2, 8}});
  inferError(slice(0, 1), {kIndex});
}

TEST(ShapeInference, Attention) {
  PlanStep a = makeStep(OpKind::Attention, {{"scale", 0.5}});
  EXPECT_EQ(inferOk(a, {Dims{2, 4, 3, 8}, Dims{2, 4, 9, 8}, Dims{2, 4, 9, 6},
                        Dims{2}, std::nullopt}),
            (Dims{2, 4, 3, 6}));
  inferError(a, {Dims{2, 4, 3, 8}, Dims{2, 4, 9, 8}, Dims{2, 4, 8, 6},
                 std::nullopt, std::nullopt});
  // key_rows: 5 rows over K/V of 2; without them the batches must agree.
  EXPECT_EQ(inferOk(a, {Dims{5, 4, 1, 8}, Dims{2, 4, 9, 8}, Dims{2, 4, 9, 8},
                        Dims{5}, std::nullopt, Dims{5}}),
            (Dims{5, 4, 1, 8}));
  inferError(a, {Dims{5, 4, 1, 8}, Dims{2, 4, 9, 8}, Dims{2, 4, 9, 8},
                 Dims{5}, std::nullopt, std::nullopt});
  inferError(a, {Dims{5, 4, 1, 8}, Dims{2, 4, 9, 8}, Dims{2, 4, 9, 8},
                 Dims{5}, std::nullopt, Dims{4}});
}

} // namespace
