// A model whose encoder, decoder and output projection share one embedding
// table: the weight file stores the table once, and with the output
// projection's panels in it, not as rows at all (the lookups gather from
// the panels).
#include "codegen/EmbeddingPanels.h"
#include "codegen/KernelSelection.h"
#include "codegen/WeightEmission.h"
#include "codegen/WeightSharing.h"
#include "runtime/Builtins.h"
#include "runtime/PlanVerifier.h"
#include "runtime/WeightFile.h"
#include "tests/unit/codegen/PlanTestSupport.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <unistd.h>

namespace txc::codegen {
namespace {

using runtime::OpKind;
using runtime::PlanFunction;
using runtime::PlanStep;
using testing::InMemoryWeights;
using testing::producer;
using testing::stepsOf;

// d_model 8, vocab 6 (panels of 8 rows pad two rows): each stack embeds
// and normalizes; the decoder's output projection is its embedding table,
// packed by tile-ffn.
constexpr const char *kTiedModule = R"mlir(
module attributes {txc.model_name = "m", txc.d_model = 8 : i64,
                   txc.heads = 2 : i64} {
  func @encode(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>)
      -> tensor<?x?x8xf32> {
    %table = txc.weight "encoder.embed_tokens.weight" : tensor<6x8xf32>
    %x = txc.embedding %table, %ids {scale = 2.0 : f64}
        : (tensor<6x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
    %g = txc.weight "encoder.norm.weight" : tensor<8xf32>
    %b = txc.weight "encoder.norm.bias" : tensor<8xf32>
    %n = txc.layer_norm %x, %g, %b {eps = 1.0e-05 : f64}
        : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>)
        -> tensor<?x?x8xf32>
    return %n : tensor<?x?x8xf32>
  }
  func @decode_step(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>)
      -> tensor<?x?x6xf32> {
    %table = txc.weight "decoder.embed_tokens.weight" : tensor<6x8xf32>
    %x = txc.embedding %table, %ids {scale = 2.0 : f64}
        : (tensor<6x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
    %g = txc.weight "decoder.norm.weight" : tensor<8xf32>
    %b = txc.weight "decoder.norm.bias" : tensor<8xf32>
    %n = txc.layer_norm %x, %g, %b {eps = 1.0e-05 : f64}
        : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>)
        -> tensor<?x?x8xf32>
    %w = txc.packed_weight "decoder.embed_tokens.weight"
        {panel_width = 8 : i64, rows = 6 : i64} : tensor<1x8x8xf32>
    %y = txc.gemm %n, %w {activation = "none", out_features = 6 : i64,
                          panels_per_task = 1 : i64, tile_rows = 4 : i64}
        : (tensor<?x?x8xf32>, tensor<1x8x8xf32>) -> tensor<?x?x6xf32>
    return %y : tensor<?x?x6xf32>
  }
}
)mlir";

class SharedEmbeddingTest : public ::testing::Test {
protected:
  void SetUp() override {
    plan = testing::lowerMlirText(kTiedModule);
    selection = selectKernels(plan, /*panelWidth=*/8);
    weights.add("encoder.embed_tokens.weight", {6, 8});
    // Equal values in separate storage are separate tensors.
    for (const char *stack : {"encoder", "decoder"}) {
      weights.add(std::string(stack) + ".norm.weight", {8},
                  std::vector<float>(8, 1.0f));
      weights.add(std::string(stack) + ".norm.bias", {8},
                  std::vector<float>(8, 0.0f));
    }
  }

  // One model file table for both stacks (model.shared.weight).
  void shareTable() {
    weights.alias("decoder.embed_tokens.weight", "encoder.embed_tokens.weight");
  }

  // The name of the weight `step` reads as operand `operand`.
  static std::string weightName(const PlanFunction &fn, const PlanStep &step,
                                size_t operand) {
    return producer(fn, step.operands[operand]).attrString("name");
  }

  // Writes the weight file and returns the names it holds, after checking
  // that it holds every weight the plan names.
  std::set<std::string> writtenNames() {
    std::string path = ::testing::TempDir() + "shared-weights-" +
                       std::to_string(getpid()) + ".safetensors";
    llvm::Error written = writePlanWeights(plan, selection, weights, path);
    EXPECT_FALSE(written) << llvm::toString(std::move(written));
    runtime::Status opened = runtime::WeightFile::open(path, file);
    std::remove(path.c_str());
    EXPECT_TRUE(opened.ok()) << opened.message();
    if (!opened.ok())
      return {};
    runtime::Status matches = runtime::checkWeightsMatchPlan(*file, plan);
    EXPECT_TRUE(matches.ok()) << matches.message();
    std::set<std::string> names;
    for (const auto &entry : file->tensors())
      names.insert(entry.first);
    return names;
  }

  runtime::Plan plan;
  KernelSelection selection;
  InMemoryWeights weights;
  std::unique_ptr<runtime::WeightFile> file;
};

TEST_F(SharedEmbeddingTest, SharedTableIsStoredOnce) {
  shareTable();
  llvm::Error shared = shareStoredWeights(plan, selection, weights);
  ASSERT_FALSE(shared) << llvm::toString(std::move(shared));

  const PlanFunction &d = plan.decodeStep;
  const PlanStep &lookup = *stepsOf(d, OpKind::Embedding)[0];
  EXPECT_EQ(weightName(d, lookup, 0), "encoder.embed_tokens.weight");
  const PlanStep &projection = *stepsOf(d, OpKind::Linear)[0];
  EXPECT_EQ(weightName(d, projection, 1),
            "encoder.embed_tokens.weight@panels8");
  ASSERT_EQ(selection.packedWeights.size(), 1u);
  EXPECT_EQ(selection.packedWeights[0].source, "encoder.embed_tokens.weight");

  EXPECT_EQ(writtenNames(),
            (std::set<std::string>{"encoder.embed_tokens.weight",
                                   "encoder.embed_tokens.weight@panels8",
                                   "encoder.norm.weight", "encoder.norm.bias",
                                   "decoder.norm.weight",
                                   "decoder.norm.bias"}));
}

TEST_F(SharedEmbeddingTest, SeparateTablesKeepTheirNames) {
  weights.add("decoder.embed_tokens.weight", {6, 8});
  llvm::Error shared = shareStoredWeights(plan, selection, weights);
  ASSERT_FALSE(shared) << llvm::toString(std::move(shared));
  const PlanFunction &d = plan.decodeStep;
  EXPECT_EQ(weightName(d, *stepsOf(d, OpKind::Embedding)[0], 0),
            "decoder.embed_tokens.weight");
  EXPECT_EQ(writtenNames().count("decoder.embed_tokens.weight"), 1u);
}

TEST_F(SharedEmbeddingTest, MissingWeightIsOneLine) {
  shareTable();
  InMemoryWeights partial;
  partial.add("encoder.embed_tokens.weight", {6, 8});
  llvm::Error err = shareStoredWeights(plan, selection, partial);
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "no tensor named 'encoder.norm.weight'");
}

TEST_F(SharedEmbeddingTest, LookupsGatherFromTheProjectionPanels) {
  shareTable();
  llvm::Error shared = shareStoredWeights(plan, selection, weights);
  ASSERT_FALSE(shared) << llvm::toString(std::move(shared));
  gatherEmbeddingsFromPanels(plan, selection);

  for (const PlanFunction *fn : {&plan.encode, &plan.decodeStep}) {
    runtime::Status verified = runtime::verifyPlanFunction(*fn, "plan");
    EXPECT_TRUE(verified.ok()) << verified.message();
    const PlanStep &lookup = *stepsOf(*fn, OpKind::Embedding)[0];
    EXPECT_EQ(weightName(*fn, lookup, 0),
              "encoder.embed_tokens.weight@panels8");
    EXPECT_EQ(lookup.attrInt("vocab"), 6);
    EXPECT_EQ(fn->values[lookup.operands[0]].shape,
              (runtime::Dims{1, 8, 8}));
  }
  // The decoder reads the panels once, for both of its readers.
  EXPECT_EQ(stepsOf(plan.decodeStep, OpKind::Weight).size(), 3u);

  std::set<std::string> names = writtenNames();
  EXPECT_EQ(names.count("encoder.embed_tokens.weight"), 0u);
  EXPECT_EQ(names.count("encoder.embed_tokens.weight@panels8"), 1u);
  EXPECT_EQ(names.size(), 5u);

  // Every id gathers its row of the table, scaled, from the panels.
  const PlanStep &lookup = *stepsOf(plan.encode, OpKind::Embedding)[0];
  std::vector<int32_t> ids{5, 0, 3, 1, 4, 2};
  std::vector<runtime::Operand> operands(2);
  operands[0].tensor = file->tensors().at(weightName(plan.encode, lookup, 0));
  operands[1].tensor = runtime::TensorView(runtime::DType::I32, {1, 6},
                                           ids.data());
  operands[0].present = operands[1].present = true;
  std::vector<float> rows(6 * 8);
  runtime::Status ran = runtime::runBuiltin(
      lookup, operands,
      runtime::TensorView(runtime::DType::F32, {1, 6, 8}, rows.data()));
  ASSERT_TRUE(ran.ok()) << ran.message();
  const std::vector<float> &table = weights.values("encoder.embed_tokens.weight");
  for (size_t t = 0; t < ids.size(); ++t)
    for (size_t i = 0; i < 8; ++i)
      EXPECT_EQ(rows[t * 8 + i], 2.0f * table[ids[t] * 8 + i]) << t << "," << i;
}

TEST_F(SharedEmbeddingTest, SeparateEncoderTableKeepsItsRows) {
  weights.add("decoder.embed_tokens.weight", {6, 8});
  llvm::Error shared = shareStoredWeights(plan, selection, weights);
  ASSERT_FALSE(shared) << llvm::toString(std::move(shared));
  gatherEmbeddingsFromPanels(plan, selection);
  const PlanFunction &e = plan.encode, &d = plan.decodeStep;
  const PlanStep &encoderLookup = *stepsOf(e, OpKind::Embedding)[0];
  EXPECT_EQ(weightName(e, encoderLookup, 0), "encoder.embed_tokens.weight");
  EXPECT_EQ(encoderLookup.attrs.count("vocab"), 0u);
  EXPECT_EQ(weightName(d, *stepsOf(d, OpKind::Embedding)[0], 0),
            "decoder.embed_tokens.weight@panels8");
  std::set<std::string> names = writtenNames();
  EXPECT_EQ(names.count("encoder.embed_tokens.weight"), 1u);
  EXPECT_EQ(names.count("decoder.embed_tokens.weight"), 0u);
}

} // namespace
} // namespace txc::codegen
