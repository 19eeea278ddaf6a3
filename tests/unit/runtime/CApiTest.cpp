#include "runtime/txc_c_api.h"

#include "runtime/Translator.h"

#include "TinyModel.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

struct ModelDir {
  TinyModel model = buildTinyModel();
  std::string dir;
  explicit ModelDir(const std::string &name) : dir(makeTempDir(name)) {
    model.writeTo(dir);
  }
};

TEST(CApi, TranslatesLikeTheTranslator) {
  ModelDir m("capi");
  txc_model *model = txc_model_open(m.dir.c_str(), nullptr);
  ASSERT_NE(model, nullptr) << txc_last_error();
  txc_model_info info;
  ASSERT_EQ(txc_model_get_info(model, &info), 0);
  EXPECT_STREQ(info.name, "tiny");
  EXPECT_EQ(info.source_vocab, 13);
  EXPECT_EQ(info.max_positions, 12);
  EXPECT_EQ(info.eos, 1);

  const int32_t a[] = {3, 4, 5, 1}, b[] = {7, 1}, c[] = {6, 6, 6, 1};
  const int32_t *ids[] = {a, b, c};
  const int lengths[] = {4, 2, 4};
  txc_decode_options options;
  txc_decode_options_init(&options);
  EXPECT_EQ(options.beam, 4);
  options.beam = 2;
  options.n_best = 2;
  options.max_length = 6;
  txc_result *result = nullptr;
  ASSERT_EQ(txc_translate(model, ids, lengths, 3, &options, &result), 0)
      << txc_last_error();
  ASSERT_EQ(result->count, 3);

  WeightTable weights = m.model.weights();
  std::unique_ptr<Translator> t;
  ASSERT_TRUE(Translator::create(m.model.plan, weights, {}, {}, t).ok());
  TranslateOptions o;
  o.search.beam = 2;
  o.search.nBest = 2;
  o.search.maxLength = 6;
  std::vector<SentenceResult> expected;
  ASSERT_TRUE(t->translate({{3, 4, 5, 1}, {7, 1}, {6, 6, 6, 1}}, o, expected).ok());
  for (int s = 0; s < 3; ++s) {
    const txc_sentence &sentence = result->sentences[s];
    ASSERT_EQ(sentence.count, int(expected[s].hypotheses.size()));
    for (int h = 0; h < sentence.count; ++h) {
      const Hypothesis &want = expected[s].hypotheses[h];
      std::vector<int32_t> got(sentence.hypotheses[h].ids,
                               sentence.hypotheses[h].ids + sentence.hypotheses[h].length);
      EXPECT_EQ(got, want.ids);
      EXPECT_DOUBLE_EQ(sentence.hypotheses[h].score, want.normalizedScore);
    }
  }
  txc_result_free(result);
  txc_model_close(model);
}

TEST(CApi, ReportsErrors) {
  EXPECT_EQ(txc_model_open("/nonexistent/model", nullptr), nullptr);
  EXPECT_NE(std::string(txc_last_error()).find("/nonexistent/model"), std::string::npos);

  ModelDir m("capi-errors");
  txc_model *model = txc_model_open(m.dir.c_str(), nullptr);
  ASSERT_NE(model, nullptr) << txc_last_error();
  const int32_t bad[] = {3, 40};
  const int32_t *ids[] = {bad};
  const int lengths[] = {2};
  txc_result *result = nullptr;
  EXPECT_EQ(txc_translate(model, ids, lengths, 1, nullptr, &result), -1);
  EXPECT_EQ(result, nullptr);
  EXPECT_NE(std::string(txc_last_error()).find("token id 40"), std::string::npos);
  txc_decode_options options;
  txc_decode_options_init(&options);
  options.max_length = 100;
  const int32_t good[] = {3, 1};
  ids[0] = good;
  EXPECT_EQ(txc_translate(model, ids, lengths, 1, &options, &result), -1);
  EXPECT_NE(std::string(txc_last_error()).find("max_positions"), std::string::npos);
  txc_model_close(model);
}

TEST(CApi, OpensAWeightFileWithAnEmbeddedPlan) {
  ModelDir m("capi-embedded");
  std::string plan = serializePlan(m.model.plan);
  std::filesystem::remove(m.dir + "/plan.json");
  std::string weights = m.dir + "/weights.safetensors";
  EXPECT_EQ(txc_model_open(weights.c_str(), nullptr), nullptr);
  EXPECT_NE(std::string(txc_last_error()).find("plan.json"), std::string::npos);

  txc_kernel_table table = {nullptr, 0, plan.c_str()};
  txc_model *model = txc_model_open(weights.c_str(), &table);
  ASSERT_NE(model, nullptr) << txc_last_error();
  const int32_t a[] = {3, 1};
  const int32_t *ids[] = {a};
  const int lengths[] = {2};
  txc_result *result = nullptr;
  ASSERT_EQ(txc_translate(model, ids, lengths, 1, nullptr, &result), 0);
  EXPECT_EQ(result->count, 1);
  EXPECT_EQ(result->sentences[0].count, 1);
  txc_result_free(result);
  txc_model_close(model);

  // A kernel the plan names must be in the table.
  for (PlanStep &step : m.model.plan.encode.steps)
    if (step.kind == OpKind::Embedding)
      step.kernel = "embedding_kernel";
  std::string withKernel = serializePlan(m.model.plan);
  table.plan_json = withKernel.c_str();
  EXPECT_EQ(txc_model_open(m.dir.c_str(), &table), nullptr);
  EXPECT_NE(std::string(txc_last_error()).find("'embedding_kernel' is not in the kernel table"),
            std::string::npos)
      << txc_last_error();
}

} // namespace
