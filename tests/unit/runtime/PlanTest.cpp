#include "runtime/Plan.h"
#include "runtime/PlanVerifier.h"

#include "PlanBuilder.h"
#include "TinyModel.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

Status reparse(const Plan &plan, Plan &out) {
  return parsePlan(serializePlan(plan), "test.json", out);
}

TEST(OpKind, NamesRoundTrip) {
  for (int k = 0; k < kNumOpKinds; ++k) {
    OpKind kind = static_cast<OpKind>(k);
    auto parsed = parseOpKind(opKindName(kind));
    ASSERT_TRUE(parsed.has_value()) << opKindName(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_FALSE(parseOpKind("convolution").has_value());
  EXPECT_STREQ(opKindName(OpKind::KvCacheRead), "kv_cache_read");
}

TEST(Plan, SerializeParseRoundTrip) {
  TinyModel m = buildTinyModel();
  m.plan.model.sourceSpm = "source.spm";
  ASSERT_EQ(m.plan.encode.steps[3].kind, OpKind::SinusoidPositions);
  m.plan.encode.steps[3].kernel = "txc_positions_0";
  m.plan.encode.steps[3].params = {{"start", ScalarType::I32, 1},
                                   {"offset", ScalarType::F32, -1}};
  Plan parsed;
  Status s = reparse(m.plan, parsed);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(serializePlan(parsed), serializePlan(m.plan));
  EXPECT_EQ(parsed.model.name, "tiny");
  EXPECT_EQ(parsed.model.sourceSpm, "source.spm");
  EXPECT_EQ(parsed.model.targetSpm, "");
  ASSERT_EQ(parsed.encode.steps.size(), m.plan.encode.steps.size());
  const PlanStep &step = parsed.encode.steps[3];
  EXPECT_EQ(step.kernel, "txc_positions_0");
  ASSERT_EQ(step.params.size(), 2u);
  EXPECT_EQ(step.params[0].operand, 1);
  EXPECT_EQ(step.params[1].type, ScalarType::F32);
  EXPECT_EQ(parsed.decodeStep.results.size(),
            1 + 2 * size_t(parsed.model.decoderLayers));
}

TEST(Plan, AttributesKeepTheirTypes) {
  TinyModel m = buildTinyModel();
  Plan parsed;
  ASSERT_TRUE(reparse(m.plan, parsed).ok());
  int seen = 0;
  for (const PlanStep &s : parsed.encode.steps) {
    if (s.kind == OpKind::Embedding) {
      EXPECT_DOUBLE_EQ(s.attrFloat("scale"), std::sqrt(8.0));
      ++seen;
    } else if (s.kind == OpKind::SplitHeads) {
      EXPECT_EQ(s.attrInt("heads"), 2);
    } else if (s.kind == OpKind::SinusoidPositions) {
      EXPECT_EQ(s.attrString("layout"), "halves");
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST(Plan, OneLinePerStep) {
  TinyModel m = buildTinyModel();
  std::string text = serializePlan(m.plan);
  EXPECT_NE(text.find("\n      {\"kind\":\"weight\",\"result\":3,"
                      "\"attrs\":{\"name\":\"encoder.embed_tokens.weight\"}}"),
            std::string::npos)
      << text.substr(0, 2000);
}

// Replaces the first occurrence of `from` in the serialized tiny plan.
Status parseEdited(const std::string &from, const std::string &to) {
  std::string text = serializePlan(buildTinyModel().plan);
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  Plan plan;
  return parsePlan(text, "edited.json", plan);
}

TEST(Plan, RejectsUnknownKind) {
  Status s = parseEdited("\"kind\":\"softmax\"", "\"kind\":\"softmaxx\"");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown op kind 'softmaxx'"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().rfind("edited.json: ", 0), 0u) << s.message();
}

TEST(Plan, RejectsWrongVersionAndBadJson) {
  Status s = parseEdited("\"version\": 1", "\"version\": 7");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("version 7"), std::string::npos) << s.message();
  Plan plan;
  EXPECT_FALSE(parsePlan("{not json", "x.json", plan).ok());
}

TEST(Plan, RejectsMissingModelField) {
  Status s = parseEdited("\"max_positions\"", "\"max_positionz\"");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing \"max_positions\""), std::string::npos)
      << s.message();
}

TEST(PlanVerifier, RejectsUseBeforeDefinition) {
  FunctionBuilder f("encode");
  int x = f.arg(DType::F32, {-1, 4});
  int later = f.value(DType::F32, {-1, 4});
  f.step(OpKind::Add, {x, later}, {-1, 4});
  Status s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("step 0 (add): operand 1 is value 1, which is "
                             "not defined before it"),
            std::string::npos)
      << s.message();
}

TEST(PlanVerifier, RejectsWrongOperandTypeAndCount) {
  FunctionBuilder f("encode");
  int x = f.arg(DType::F32, {-1, 4});
  int ids = f.arg(DType::I32, {-1, 4});
  f.step(OpKind::Add, {x, ids}, {-1, 4});
  Status s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("operand 1 must be an f32 tensor"),
            std::string::npos)
      << s.message();

  FunctionBuilder g("encode");
  int y = g.arg(DType::F32, {-1, 4});
  g.step(OpKind::Relu, {y, y}, {-1, 4});
  s = verifyPlanFunction(g.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("takes 1 operands, has 2"), std::string::npos)
      << s.message();
}

TEST(PlanVerifier, RejectsMissingAttributeAndBadParam) {
  FunctionBuilder f("encode");
  int x = f.arg(DType::F32, {-1, 4});
  f.step(OpKind::Scale, {x}, {-1, 4});
  Status s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("attribute 'factor' must be a number"),
            std::string::npos)
      << s.message();

  f.last().attrs["factor"] = 2.0;
  f.last().params = {{"start", ScalarType::I32, 0}};
  s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not an index operand"), std::string::npos)
      << s.message();
  f.last().params = {{"factor", ScalarType::F32, -1}};
  EXPECT_TRUE(verifyPlanFunction(f.fn, "p").ok());
}

TEST(PlanVerifier, ChecksSliceAndOptionalAttributes) {
  FunctionBuilder f("encode");
  int x = f.arg(DType::F32, {-1, 8});
  f.step(OpKind::Slice, {x}, {-1, 4}, {{"offset", int64_t(4)}});
  Status s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("attribute 'size' must be an integer"),
            std::string::npos)
      << s.message();
  f.last().attrs["size"] = int64_t(4);
  EXPECT_TRUE(verifyPlanFunction(f.fn, "p").ok());
  f.last().attrs["offset"] = int64_t(-1);
  s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("a slice needs offset >= 0 and size >= 1"),
            std::string::npos)
      << s.message();

  // Attributes a kind may leave out still need their type when present.
  FunctionBuilder g("encode");
  int q = g.arg(DType::F32, {-1, 2, -1, 4});
  g.step(OpKind::Attention, {q, q, q, -1, -1, -1}, {-1, 2, -1, 4},
         {{"scale", 0.5}, {"decode", std::string("yes")}});
  s = verifyPlanFunction(g.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("attribute 'decode' must be a boolean"),
            std::string::npos)
      << s.message();
  g.last().attrs["decode"] = true;
  EXPECT_TRUE(verifyPlanFunction(g.fn, "p").ok());
}

TEST(PlanVerifier, ChecksEmbeddingPanels) {
  FunctionBuilder f("encode");
  int ids = f.arg(DType::I32, {-1, -1});
  int panels = f.weight("table@panels16", {4, 8, 16});
  f.step(OpKind::Embedding, {panels, ids}, {-1, -1, 8},
         {{"scale", 1.0}, {"vocab", int64_t(50)}});
  Status s = verifyPlanFunction(f.fn, "p");
  EXPECT_TRUE(s.ok()) << s.message();

  // Panels of 16 rows: 70 rows need 5 of them, a [50, 8] table none.
  f.last().attrs["vocab"] = int64_t(70);
  s = verifyPlanFunction(f.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "p: encode step 1 (embedding): embedding panels "
                         "[4, 8, 16] do not hold vocab 70");
  FunctionBuilder g("encode");
  int gids = g.arg(DType::I32, {-1, -1});
  int rows = g.weight("table", {50, 8});
  g.step(OpKind::Embedding, {rows, gids}, {-1, -1, 8},
         {{"scale", 1.0}, {"vocab", int64_t(50)}});
  EXPECT_FALSE(verifyPlanFunction(g.fn, "p").ok());
  g.last().attrs["vocab"] = std::string("50");
  s = verifyPlanFunction(g.fn, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("attribute 'vocab' must be an integer"),
            std::string::npos)
      << s.message();
}

TEST(PlanVerifier, OptionalOperandsMayBeAbsent) {
  FunctionBuilder f("encode");
  int x = f.arg(DType::F32, {-1, 4});
  int w = f.weight("w", {3, 4});
  f.step(OpKind::Linear, {x, w, -1}, {-1, 3});
  EXPECT_TRUE(verifyPlanFunction(f.fn, "p").ok());
  f.last().operands = {x, -1, -1};
  EXPECT_FALSE(verifyPlanFunction(f.fn, "p").ok());
}

TEST(PlanVerifier, ChecksModuleConventions) {
  TinyModel m = buildTinyModel();
  m.plan.decodeStep.results.pop_back();
  Status s = verifyPlan(m.plan, "p");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("decode_step has 4 results, the model needs 5"),
            std::string::npos)
      << s.message();
  TinyModel n = buildTinyModel();
  n.plan.model.eos = 99;
  EXPECT_FALSE(verifyPlan(n.plan, "p").ok());
  EXPECT_TRUE(verifyPlan(buildTinyModel().plan, "p").ok());
}

} // namespace
