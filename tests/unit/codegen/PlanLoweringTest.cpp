// The fused ops the passes produce, through plan lowering, kernel selection
// and weight emission: the plan steps and kernels they become, and the
// stacked and packed tensors the weight file holds for them.
#include "codegen/KernelSelection.h"
#include "codegen/WeightEmission.h"
#include "codegen/WeightPacking.h"
#include "runtime/PlanVerifier.h"
#include "runtime/WeightFile.h"
#include "tests/unit/codegen/PlanTestSupport.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <unistd.h>

namespace txc::codegen {
namespace {

using runtime::OpKind;
using runtime::PlanFunction;
using runtime::PlanStep;

// d_model 8, 2 heads: Q and K stacked into one packed GEMM, sliced apart,
// attention with a causal offset only (its lengths operand absent), a
// residual LayerNorm; and a linear over stacked rows that no pass packed.
constexpr const char *kModule = R"mlir(
module attributes {txc.model_name = "m", txc.d_model = 8 : i64,
                   txc.heads = 2 : i64} {
  func @encode(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>)
      -> (tensor<?x?x8xf32>, tensor<?x?x16xf32>) {
    %c0 = arith.constant 0 : index
    %table = txc.weight "table" : tensor<4x8xf32>
    %x = txc.embedding %table, %ids {scale = 1.0 : f64}
        : (tensor<4x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
    %b = txc.concat_weights ["q.bias", "k.bias"] : tensor<16xf32>
    %w = txc.packed_weight "q.weight+k.weight"
        {panel_width = 16 : i64, rows = 16 : i64} : tensor<1x8x16xf32>
    %y = txc.gemm %x, %w, %b {activation = "none", out_features = 16 : i64,
                              panels_per_task = 1 : i64, tile_rows = 4 : i64}
        : (tensor<?x?x8xf32>, tensor<1x8x16xf32>, tensor<16xf32>)
        -> tensor<?x?x16xf32>
    %q = txc.slice %y {offset = 0 : i64, size = 8 : i64}
        : (tensor<?x?x16xf32>) -> tensor<?x?x8xf32>
    %k = txc.slice %y {offset = 8 : i64, size = 8 : i64}
        : (tensor<?x?x16xf32>) -> tensor<?x?x8xf32>
    %qh = txc.split_heads %q {heads = 2 : i64}
        : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
    %kh = txc.split_heads %k {heads = 2 : i64}
        : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
    %a = txc.attention %qh, %kh, %kh offset(%c0)
        {block_keys = 32 : i64, decode = true, scale = 0.5 : f64}
        : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>)
        -> tensor<?x2x?x4xf32>
    %m = txc.merge_heads %a : (tensor<?x2x?x4xf32>) -> tensor<?x?x8xf32>
    %g = txc.weight "norm.weight" : tensor<8xf32>
    %be = txc.weight "norm.bias" : tensor<8xf32>
    %n = txc.add_layer_norm %x, %m, %g, %be {eps = 1.0e-05 : f64,
                                            vector_width = 16 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>,
           tensor<8xf32>) -> tensor<?x?x8xf32>
    %w2 = txc.concat_weights ["q.weight", "k.weight"] : tensor<16x8xf32>
    %z = txc.linear %n, %w2
        : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
    return %n, %z : tensor<?x?x8xf32>, tensor<?x?x16xf32>
  }
  func @decode_step(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>)
      -> tensor<?x?x8xf32> {
    %table = txc.weight "table" : tensor<4x8xf32>
    %x = txc.embedding %table, %ids {scale = 1.0 : f64}
        : (tensor<4x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
    %w = txc.packed_weight "q.weight" {panel_width = 16 : i64, rows = 8 : i64}
        : tensor<1x8x16xf32>
    %y = txc.gemm %x, %w {activation = "relu", out_features = 8 : i64,
                          panels_per_task = 1 : i64, tile_rows = 4 : i64}
        : (tensor<?x?x8xf32>, tensor<1x8x16xf32>) -> tensor<?x?x8xf32>
    %qh = txc.split_heads %y {heads = 2 : i64}
        : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
    %a = txc.attention %qh, %qh, %qh lengths(%lengths : tensor<?xi32>)
        {scale = 0.5 : f64}
        : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>)
        -> tensor<?x2x?x4xf32>
    %m = txc.merge_heads %a : (tensor<?x2x?x4xf32>) -> tensor<?x?x8xf32>
    return %m : tensor<?x?x8xf32>
  }
}
)mlir";

using testing::InMemoryWeights;
using testing::producer;
using testing::stepsOf;

class FusedPlanTest : public ::testing::Test {
protected:
  void SetUp() override { plan = testing::lowerMlirText(kModule); }

  runtime::Plan plan;
};

TEST_F(FusedPlanTest, LowersFusedOpsToPlanKinds) {
  for (const PlanFunction *fn : {&plan.encode, &plan.decodeStep}) {
    runtime::Status verified = runtime::verifyPlanFunction(*fn, "plan");
    EXPECT_TRUE(verified.ok()) << verified.message();
  }
  const PlanFunction &e = plan.encode;
  std::vector<std::string> names;
  for (const PlanStep *w : stepsOf(e, OpKind::Weight))
    names.push_back(w->attrString("name"));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "table", "q.bias+k.bias", "q.weight+k.weight@panels16",
                       "norm.weight", "norm.bias", "q.weight+k.weight"}));

  auto linears = stepsOf(e, OpKind::Linear);
  ASSERT_EQ(linears.size(), 2u);
  const PlanStep &gemm = *linears[0];
  EXPECT_EQ(gemm.attrInt("out_features"), 16);
  EXPECT_EQ(gemm.attrInt("tile_rows"), 4);
  EXPECT_EQ(gemm.attrInt("panels_per_task"), 1);
  EXPECT_EQ(gemm.attrs.count("activation"), 0u);
  EXPECT_EQ(e.values[gemm.operands[1]].shape, (runtime::Dims{1, 8, 16}));

  auto slices = stepsOf(e, OpKind::Slice);
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[1]->operands, std::vector<int>{gemm.result});
  EXPECT_EQ(slices[1]->attrInt("offset"), 8);
  EXPECT_EQ(slices[1]->attrInt("size"), 8);

  // The absent lengths operand keeps its position; absent key_rows are
  // padded to the kind's arity.
  auto attention = stepsOf(e, OpKind::Attention);
  ASSERT_EQ(attention.size(), 1u);
  ASSERT_EQ(attention[0]->operands.size(), 6u);
  EXPECT_EQ(attention[0]->operands[3], -1);
  EXPECT_EQ(attention[0]->operands[5], -1);
  EXPECT_EQ(producer(e, attention[0]->operands[4]).kind, OpKind::Constant);
  EXPECT_EQ(attention[0]->attrInt("block_keys"), 32);
  EXPECT_TRUE(attention[0]->attrBool("decode"));

  auto norms = stepsOf(e, OpKind::AddLayerNorm);
  ASSERT_EQ(norms.size(), 1u);
  EXPECT_DOUBLE_EQ(norms[0]->attrFloat("eps"), 1e-5);

  const PlanFunction &d = plan.decodeStep;
  auto activated = stepsOf(d, OpKind::LinearActivation);
  ASSERT_EQ(activated.size(), 1u);
  EXPECT_EQ(activated[0]->attrString("activation"), "relu");
  EXPECT_EQ(activated[0]->operands[2], -1);
  auto decodeAttention = stepsOf(d, OpKind::Attention);
  ASSERT_EQ(decodeAttention.size(), 1u);
  EXPECT_GE(decodeAttention[0]->operands[3], 0);
  EXPECT_EQ(decodeAttention[0]->operands[4], -1);
}

TEST_F(FusedPlanTest, SelectsKernelsFromScheduleAttributes) {
  KernelSelection selection = selectKernels(plan, /*panelWidth=*/8);
  const PlanFunction &e = plan.encode;

  // tile-ffn's weight keeps its panels of 16 and its tiles; the unpacked
  // stacked weight gets packed in the target's panels of 8.
  auto linears = stepsOf(e, OpKind::Linear);
  ASSERT_EQ(linears.size(), 2u);
  auto gemm = std::get<GemmParams>(selection.kernels.at(linears[0]->kernel));
  EXPECT_EQ(gemm.n, 16);
  EXPECT_EQ(gemm.k, 8);
  EXPECT_EQ(gemm.panelWidth, 16);
  EXPECT_EQ(gemm.rowsPerTile, 4);
  EXPECT_EQ(gemm.panelsPerTask, 1);
  EXPECT_TRUE(gemm.bias);
  EXPECT_EQ(linears[0]->kernelRanks, (std::vector<int>{2, 3, 1, 2}));
  EXPECT_EQ(producer(e, linears[0]->operands[1]).attrString("name"),
            "q.weight+k.weight@panels16");
  auto repacked = std::get<GemmParams>(selection.kernels.at(linears[1]->kernel));
  EXPECT_EQ(repacked.panelWidth, 8);
  EXPECT_EQ(repacked.rowsPerTile, 0);
  EXPECT_EQ(e.values[linears[1]->operands[1]].shape, (runtime::Dims{2, 8, 8}));
  EXPECT_EQ(producer(e, linears[1]->operands[1]).attrString("name"),
            "q.weight+k.weight@panels8");
  EXPECT_NE(linears[0]->kernel, linears[1]->kernel);

  std::map<std::string, PackedWeight> packed;
  for (const PackedWeight &p : selection.packedWeights)
    packed[p.name] = p;
  ASSERT_EQ(packed.size(), 3u);
  EXPECT_EQ(packed["q.weight+k.weight@panels16"].source, "q.weight+k.weight");
  EXPECT_EQ(packed["q.weight+k.weight@panels16"].n, 16);
  EXPECT_EQ(packed["q.weight@panels16"].n, 8);
  EXPECT_EQ(packed["q.weight+k.weight@panels8"].panelWidth, 8);

  // Slices stay with the runtime: they are views.
  for (const PlanStep *slice : stepsOf(e, OpKind::Slice))
    EXPECT_EQ(slice->kernel, "");

  const PlanStep &attention = *stepsOf(e, OpKind::Attention)[0];
  auto params = std::get<AttentionParams>(selection.kernels.at(attention.kernel));
  EXPECT_EQ(params.headDim, 4);
  EXPECT_FLOAT_EQ(params.scale, 0.5f);
  EXPECT_FALSE(params.paddingMask);
  EXPECT_TRUE(params.causalMask);
  EXPECT_TRUE(params.decodeStep);
  EXPECT_EQ(params.keyBlock, 32);
  EXPECT_EQ(attention.kernelRanks, (std::vector<int>{4, 4, 4, 4}));
  ASSERT_EQ(attention.params.size(), 1u);
  EXPECT_EQ(attention.params[0].operand, 4);
  EXPECT_EQ(attention.params[0].type, runtime::ScalarType::I32);

  const PlanStep &decodeAttention =
      *stepsOf(plan.decodeStep, OpKind::Attention)[0];
  auto cross =
      std::get<AttentionParams>(selection.kernels.at(decodeAttention.kernel));
  EXPECT_TRUE(cross.paddingMask);
  EXPECT_FALSE(cross.causalMask);
  EXPECT_FALSE(cross.decodeStep);
  EXPECT_EQ(decodeAttention.kernelRanks, (std::vector<int>{4, 4, 4, 1, 4}));
  EXPECT_TRUE(decodeAttention.params.empty());

  const PlanStep &norm = *stepsOf(e, OpKind::AddLayerNorm)[0];
  auto ln = std::get<LayerNormParams>(selection.kernels.at(norm.kernel));
  EXPECT_TRUE(ln.residual);
  EXPECT_EQ(ln.features, 8);
  EXPECT_EQ(norm.kernelRanks, (std::vector<int>{2, 2, 1, 1, 2}));

  for (const PlanFunction *fn : {&plan.encode, &plan.decodeStep}) {
    runtime::Status verified = runtime::verifyPlanFunction(*fn, "plan");
    EXPECT_TRUE(verified.ok()) << verified.message();
  }
}

TEST_F(FusedPlanTest, WritesStackedAndPackedWeights) {
  KernelSelection selection = selectKernels(plan, /*panelWidth=*/8);
  InMemoryWeights weights;
  weights.add("table", {4, 8});
  weights.add("q.weight", {8, 8});
  weights.add("k.weight", {8, 8});
  weights.add("q.bias", {8});
  weights.add("k.bias", {8});
  weights.add("norm.weight", {8});
  weights.add("norm.bias", {8});
  std::string path = ::testing::TempDir() + "fused-weights-" +
                     std::to_string(getpid()) + ".safetensors";
  llvm::Error written = writePlanWeights(plan, selection, weights, path);
  ASSERT_FALSE(written) << llvm::toString(std::move(written));
  std::unique_ptr<runtime::WeightFile> file;
  runtime::Status opened = runtime::WeightFile::open(path, file);
  ASSERT_TRUE(opened.ok()) << opened.message();
  std::remove(path.c_str());
  const runtime::WeightTable &tensors = file->tensors();

  std::vector<float> stackedWeight = weights.values("q.weight");
  stackedWeight.insert(stackedWeight.end(), weights.values("k.weight").begin(),
                       weights.values("k.weight").end());
  std::vector<float> stackedBias = weights.values("q.bias");
  stackedBias.insert(stackedBias.end(), weights.values("k.bias").begin(),
                     weights.values("k.bias").end());

  const runtime::TensorView &bias = tensors.at("q.bias+k.bias");
  EXPECT_EQ(bias.shape, runtime::Dims{16});
  EXPECT_EQ(std::vector<float>(bias.f32(), bias.f32() + 16), stackedBias);

  for (int width : {16, 8}) {
    std::string name = "q.weight+k.weight@panels" + std::to_string(width);
    ASSERT_EQ(tensors.count(name), 1u) << name;
    const runtime::TensorView &panels = tensors.at(name);
    EXPECT_EQ(panels.shape, (runtime::Dims{16 / width, 8, width}));
    std::vector<float> rows(16 * 8);
    ASSERT_TRUE(unpackGemmWeight(panels.f32(), 16, 8, width, rows.data()));
    EXPECT_EQ(rows, stackedWeight) << name;
  }
  // Weights only the kernels' packed copies read are not written.
  EXPECT_EQ(tensors.count("q.weight+k.weight"), 0u);
}

TEST_F(FusedPlanTest, StackedWeightsMustAgree) {
  KernelSelection selection = selectKernels(plan, 8);
  InMemoryWeights weights;
  weights.add("table", {4, 8});
  weights.add("q.weight", {8, 8});
  weights.add("k.weight", {8, 7});
  weights.add("q.bias", {8});
  weights.add("k.bias", {8});
  weights.add("norm.weight", {8});
  weights.add("norm.bias", {8});
  llvm::Error err = writePlanWeights(plan, selection, weights,
                                     ::testing::TempDir() + "unused");
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "weight 'k.weight' is [8, 7], the compiled model reads rows of [8]");
}

} // namespace
} // namespace txc::codegen
