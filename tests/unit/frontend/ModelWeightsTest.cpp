#include "frontend/ModelWeights.h"

#include "frontend/Safetensors.h"

#include "TestFiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

using namespace txc;
using namespace txc::test;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

namespace {

ModelSpec tinySpec(const ScratchDir &dir) {
  ModelSpec spec;
  spec.name = "tiny";
  spec.dModel = 4;
  spec.heads = 2;
  spec.ffnDim = 8;
  spec.encoderLayers = 2;
  spec.decoderLayers = 1;
  spec.sourceVocab = 6;
  spec.targetVocab = 6;
  spec.maxPositions = 5;
  spec.weightsFile = dir.file("model.safetensors");
  return spec;
}

// The hf rule of DESIGN.md, stated independently of the code under test.
std::string hfName(const std::string &canonical, bool shared) {
  if (canonical == "lm_head.weight" || canonical == "final_logits_bias")
    return canonical;
  if (shared && llvm::StringRef(canonical).endswith(".embed_tokens.weight"))
    return "model.shared.weight";
  return "model." + canonical;
}

struct FileTensor {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<FileTensor> hfTensors(const ModelSpec &spec, bool shared) {
  std::vector<FileTensor> tensors;
  for (const RequiredWeight &weight : requiredWeights(spec)) {
    if (weight.name == "lm_head.weight" && spec.tieOutput)
      continue;
    std::string name = hfName(weight.name, shared);
    bool listed = false;
    for (const FileTensor &t : tensors)
      listed |= t.name == name;
    // HF stores the output bias as one [1, vocab] row.
    std::vector<int64_t> shape = weight.shape;
    if (weight.name == "final_logits_bias")
      shape.insert(shape.begin(), 1);
    if (!listed)
      tensors.push_back({name, shape});
  }
  return tensors;
}

// Writes `tensors`, the i-th filled with 1000 i, 1000 i + 1, ...; returns
// each tensor's first value.
std::map<std::string, float> writeTensors(const std::string &path,
                                          const std::vector<FileTensor> &tensors) {
  TensorSet set;
  std::map<std::string, float> first;
  for (size_t i = 0; i < tensors.size(); ++i) {
    first[tensors[i].name] = 1000.0f * float(i);
    set.add(tensors[i].name, tensors[i].shape, first[tensors[i].name]);
  }
  set.write(path);
  return first;
}

void expectCounting(llvm::ArrayRef<float> values, float first) {
  ASSERT_FALSE(values.empty());
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(values[i], first + float(i)) << "element " << i;
}

const RequiredWeight *findRequired(const std::vector<RequiredWeight> &list,
                                   const std::string &name) {
  for (const RequiredWeight &weight : list)
    if (weight.name == name)
      return &weight;
  return nullptr;
}

TEST(RequiredWeightsTest, ListsCanonicalNamesAndShapes) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  spec.encoderLayers = 1;
  spec.targetVocab = 7;
  spec.positions = PositionKind::Learned;
  spec.positionOffset = 2;
  spec.embeddingNorm = true;
  spec.finalNorm = true;
  spec.outputBias = true;
  std::vector<RequiredWeight> list = requiredWeights(spec);
  // embeddings 2, positions 2, embedding norms 4, encoder layer 16,
  // decoder layer 26, final norms 4, lm_head, final_logits_bias
  EXPECT_EQ(list.size(), 56u);
  EXPECT_EQ(list.front().name, "encoder.embed_tokens.weight");
  EXPECT_THAT(list.front().shape, ElementsAre(6, 4));
  EXPECT_EQ(list.back().name, "final_logits_bias");
  EXPECT_THAT(list.back().shape, ElementsAre(7));

  auto shapeOf = [&](const std::string &name) {
    const RequiredWeight *weight = findRequired(list, name);
    EXPECT_NE(weight, nullptr) << name;
    return weight ? weight->shape : std::vector<int64_t>();
  };
  EXPECT_THAT(shapeOf("decoder.embed_tokens.weight"), ElementsAre(7, 4));
  EXPECT_THAT(shapeOf("encoder.embed_positions.weight"), ElementsAre(7, 4));
  EXPECT_THAT(shapeOf("decoder.layernorm_embedding.bias"), ElementsAre(4));
  EXPECT_THAT(shapeOf("encoder.layers.0.self_attn.q_proj.weight"),
              ElementsAre(4, 4));
  EXPECT_THAT(shapeOf("decoder.layers.0.encoder_attn.out_proj.bias"),
              ElementsAre(4));
  EXPECT_THAT(shapeOf("decoder.layers.0.encoder_attn_layer_norm.weight"),
              ElementsAre(4));
  EXPECT_THAT(shapeOf("encoder.layers.0.fc1.weight"), ElementsAre(8, 4));
  EXPECT_THAT(shapeOf("encoder.layers.0.fc2.weight"), ElementsAre(4, 8));
  EXPECT_THAT(shapeOf("decoder.layer_norm.weight"), ElementsAre(4));
  EXPECT_THAT(shapeOf("lm_head.weight"), ElementsAre(7, 4));
  EXPECT_EQ(findRequired(list, "decoder.layers.0.fc2.bias")->neededBy,
            "decoder layer 0");
  EXPECT_EQ(findRequired(list, "encoder.layers.0.encoder_attn.q_proj.weight"),
            nullptr);

  ModelSpec plain = tinySpec(dir);
  plain.encoderLayers = 1;
  EXPECT_EQ(requiredWeights(plain).size(), 2u + 16 + 26 + 1);
}

TEST(ModelWeightsTest, LoadsHfNamesWithSharedEmbedding) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  std::vector<FileTensor> tensors = hfTensors(spec, /*shared=*/true);
  // Unused tensors, like the sinusoid tables OPUS-MT files carry, are fine.
  tensors.push_back({"model.encoder.embed_positions.weight", {512, 4}});
  std::map<std::string, float> first = writeTensors(spec.weightsFile, tensors);

  std::unique_ptr<ModelWeights> weights = valueOf(ModelWeights::load(spec));
  ASSERT_TRUE(weights);
  std::vector<RequiredWeight> required = requiredWeights(spec);
  ASSERT_EQ(weights->weights().size(), required.size());
  for (size_t i = 0; i < required.size(); ++i) {
    const LoadedWeight &loaded = weights->weights()[i];
    SCOPED_TRACE(loaded.name);
    EXPECT_EQ(loaded.name, required[i].name);
    EXPECT_EQ(loaded.shape, required[i].shape);
    std::string fileName = loaded.name == "lm_head.weight"
                               ? "model.shared.weight"
                               : hfName(loaded.name, true);
    expectCounting(loaded.values, first.at(fileName));
  }

  WeightView encoderEmbedding =
      valueOf(weights->lookup("encoder.embed_tokens.weight"));
  WeightView decoderEmbedding =
      valueOf(weights->lookup("decoder.embed_tokens.weight"));
  WeightView output = valueOf(weights->lookup("lm_head.weight"));
  EXPECT_THAT(output.shape, ElementsAre(6, 4));
  // Shared and tied weights are one copy.
  EXPECT_EQ(encoderEmbedding.values.data(), decoderEmbedding.values.data());
  EXPECT_EQ(output.values.data(), decoderEmbedding.values.data());

  WeightView fc1 = valueOf(weights->lookup("encoder.layers.1.fc1.weight"));
  EXPECT_THAT(fc1.shape, ElementsAre(8, 4));
  expectCounting(fc1.values, first.at("model.encoder.layers.1.fc1.weight"));
  EXPECT_EQ(errorMessage(weights->lookup("encoder.layers.9.fc1.weight")),
            spec.weightsFile +
                ": the model has no weight 'encoder.layers.9.fc1.weight'");
  EXPECT_THAT(errorMessage(weights->lookup("final_logits_bias")),
              HasSubstr("no weight 'final_logits_bias'"));
}

TEST(ModelWeightsTest, LoadsSeparateEmbeddingsAndOptionalWeights) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  spec.targetVocab = 7;
  spec.positions = PositionKind::Learned;
  spec.positionOffset = 2;
  spec.embeddingNorm = true;
  spec.finalNorm = true;
  spec.tieOutput = false;
  spec.outputBias = true;
  std::map<std::string, float> first =
      writeTensors(spec.weightsFile, hfTensors(spec, /*shared=*/false));

  std::unique_ptr<ModelWeights> weights = valueOf(ModelWeights::load(spec));
  ASSERT_TRUE(weights);
  for (const LoadedWeight &loaded : weights->weights()) {
    SCOPED_TRACE(loaded.name);
    expectCounting(loaded.values, first.at(hfName(loaded.name, false)));
  }
  WeightView positions =
      valueOf(weights->lookup("decoder.embed_positions.weight"));
  EXPECT_THAT(positions.shape, ElementsAre(7, 4));
  WeightView bias = valueOf(weights->lookup("final_logits_bias"));
  EXPECT_THAT(bias.shape, ElementsAre(7));
  expectCounting(bias.values, first.at("final_logits_bias"));
  WeightView output = valueOf(weights->lookup("lm_head.weight"));
  expectCounting(output.values, first.at("lm_head.weight"));
}

TEST(ModelWeightsTest, SharedEmbeddingNeedsEqualVocabularies) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  spec.targetVocab = 7;
  writeTensors(spec.weightsFile, hfTensors(spec, /*shared=*/true));
  EXPECT_EQ(errorMessage(ModelWeights::load(spec)),
            spec.weightsFile +
                ": 'model.shared.weight' serves both embeddings, but "
                "source_vocab = 6 differs from target_vocab = 7");
}

TEST(ModelWeightsTest, MissingWeightNamesTensorAndUser) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  std::vector<FileTensor> tensors;
  for (const FileTensor &t : hfTensors(spec, /*shared=*/true))
    if (t.name != "model.encoder.layers.1.fc1.weight")
      tensors.push_back(t);
  writeTensors(spec.weightsFile, tensors);
  EXPECT_EQ(errorMessage(ModelWeights::load(spec)),
            spec.weightsFile +
                ": missing tensor 'model.encoder.layers.1.fc1.weight' "
                "(needed by encoder layer 1)");
}

TEST(ModelWeightsTest, UntiedOutputNeedsLmHead) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  writeTensors(spec.weightsFile, hfTensors(spec, /*shared=*/true));
  spec.tieOutput = false;
  EXPECT_EQ(errorMessage(ModelWeights::load(spec)),
            spec.weightsFile + ": missing tensor 'lm_head.weight' (needed by "
                               "the output projection)");
}

TEST(ModelWeightsTest, WrongShapeNamesBothShapes) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  std::vector<FileTensor> tensors = hfTensors(spec, /*shared=*/true);
  for (FileTensor &t : tensors)
    if (t.name == "model.encoder.layers.0.fc1.weight")
      t.shape = {4, 8};
  writeTensors(spec.weightsFile, tensors);
  EXPECT_EQ(errorMessage(ModelWeights::load(spec)),
            spec.weightsFile +
                ": tensor 'model.encoder.layers.0.fc1.weight' has shape [4, "
                "8] but the spec needs [8, 4]");
}

TEST(ModelWeightsTest, MissingFileIsNamed) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  EXPECT_THAT(errorMessage(ModelWeights::load(spec)),
              HasSubstr(spec.weightsFile + ": cannot read: "));
}

TEST(ModelWeightsTest, UnreadableDtypeOfRequiredWeightFails) {
  ScratchDir dir;
  ModelSpec spec = tinySpec(dir);
  // Without layers the spec needs only the shared embedding, so the file can
  // be written by hand in a dtype txc cannot read.
  spec.encoderLayers = 0;
  spec.decoderLayers = 0;
  std::string header =
      R"({"model.shared.weight": {"dtype": "I32", "shape": [6, 4], )"
      R"("data_offsets": [0, 96]}})";
  dir.write("model.safetensors", rawSafetensors(header, std::string(96, 0)));
  EXPECT_EQ(errorMessage(ModelWeights::load(spec)),
            spec.weightsFile + ": tensor 'model.shared.weight': dtype I32 "
                               "cannot be read; txc reads F32, F16 and BF16 "
                               "tensors");
}

// nn.Transformer names for one encoder and one decoder layer, d = 4.
std::vector<FileTensor> torchTensors() {
  std::vector<FileTensor> tensors = {{"model.shared.weight", {6, 4}}};
  auto attention = [&](const std::string &prefix) {
    tensors.push_back({prefix + ".in_proj_weight", {12, 4}});
    tensors.push_back({prefix + ".in_proj_bias", {12}});
    tensors.push_back({prefix + ".out_proj.weight", {4, 4}});
    tensors.push_back({prefix + ".out_proj.bias", {4}});
  };
  auto vector = [&](const std::string &prefix, int64_t n) {
    tensors.push_back({prefix + ".weight", {n}});
    tensors.push_back({prefix + ".bias", {n}});
  };
  auto feedForward = [&](const std::string &prefix) {
    tensors.push_back({prefix + ".linear1.weight", {8, 4}});
    tensors.push_back({prefix + ".linear1.bias", {8}});
    tensors.push_back({prefix + ".linear2.weight", {4, 8}});
    tensors.push_back({prefix + ".linear2.bias", {4}});
  };
  attention("encoder.layers.0.self_attn");
  feedForward("encoder.layers.0");
  vector("encoder.layers.0.norm1", 4);
  vector("encoder.layers.0.norm2", 4);
  vector("encoder.norm", 4);
  attention("decoder.layers.0.self_attn");
  attention("decoder.layers.0.multihead_attn");
  feedForward("decoder.layers.0");
  vector("decoder.layers.0.norm1", 4);
  vector("decoder.layers.0.norm2", 4);
  vector("decoder.layers.0.norm3", 4);
  vector("decoder.norm", 4);
  return tensors;
}

ModelSpec torchSpec(const ScratchDir &dir) {
  ModelSpec spec = tinySpec(dir);
  spec.encoderLayers = 1;
  spec.decoderLayers = 1;
  spec.weightNames = WeightNames::Torch;
  spec.finalNorm = true;
  return spec;
}

TEST(ModelWeightsTest, LoadsTorchNamesSplittingInProjection) {
  ScratchDir dir;
  ModelSpec spec = torchSpec(dir);
  std::map<std::string, float> first =
      writeTensors(spec.weightsFile, torchTensors());
  std::unique_ptr<ModelWeights> weights = valueOf(ModelWeights::load(spec));
  ASSERT_TRUE(weights);
  EXPECT_EQ(weights->weights().size(), requiredWeights(spec).size());

  auto expectFrom = [&](const std::string &canonical,
                        const std::string &fileName, float offset) {
    SCOPED_TRACE(canonical);
    WeightView view = valueOf(weights->lookup(canonical));
    expectCounting(view.values, first.at(fileName) + offset);
  };
  // Q, K and V are consecutive row blocks of in_proj, 16 values each.
  const std::string enc = "encoder.layers.0.";
  expectFrom(enc + "self_attn.q_proj.weight", enc + "self_attn.in_proj_weight",
             0);
  expectFrom(enc + "self_attn.k_proj.weight", enc + "self_attn.in_proj_weight",
             16);
  expectFrom(enc + "self_attn.v_proj.weight", enc + "self_attn.in_proj_weight",
             32);
  expectFrom(enc + "self_attn.q_proj.bias", enc + "self_attn.in_proj_bias", 0);
  expectFrom(enc + "self_attn.k_proj.bias", enc + "self_attn.in_proj_bias", 4);
  expectFrom(enc + "self_attn.v_proj.bias", enc + "self_attn.in_proj_bias", 8);
  expectFrom(enc + "self_attn.out_proj.weight",
             enc + "self_attn.out_proj.weight", 0);
  expectFrom(enc + "fc1.weight", enc + "linear1.weight", 0);
  expectFrom(enc + "fc2.bias", enc + "linear2.bias", 0);
  expectFrom(enc + "self_attn_layer_norm.weight", enc + "norm1.weight", 0);
  expectFrom(enc + "final_layer_norm.bias", enc + "norm2.bias", 0);
  expectFrom("encoder.layer_norm.weight", "encoder.norm.weight", 0);

  const std::string dec = "decoder.layers.0.";
  expectFrom(dec + "self_attn.k_proj.weight", dec + "self_attn.in_proj_weight",
             16);
  expectFrom(dec + "encoder_attn.q_proj.weight",
             dec + "multihead_attn.in_proj_weight", 0);
  expectFrom(dec + "encoder_attn.v_proj.weight",
             dec + "multihead_attn.in_proj_weight", 32);
  expectFrom(dec + "encoder_attn.v_proj.bias",
             dec + "multihead_attn.in_proj_bias", 8);
  expectFrom(dec + "encoder_attn.out_proj.bias",
             dec + "multihead_attn.out_proj.bias", 0);
  expectFrom(dec + "self_attn_layer_norm.bias", dec + "norm1.bias", 0);
  expectFrom(dec + "encoder_attn_layer_norm.weight", dec + "norm2.weight", 0);
  expectFrom(dec + "final_layer_norm.weight", dec + "norm3.weight", 0);
  expectFrom("decoder.layer_norm.bias", "decoder.norm.bias", 0);
  expectFrom("decoder.embed_tokens.weight", "model.shared.weight", 0);
  expectFrom("lm_head.weight", "model.shared.weight", 0);

  WeightView q = valueOf(weights->lookup(enc + "self_attn.q_proj.weight"));
  EXPECT_THAT(q.shape, ElementsAre(4, 4));
  EXPECT_EQ(q.values.size(), 16u);
}

TEST(ModelWeightsTest, TorchInProjectionShapeIsChecked) {
  ScratchDir dir;
  ModelSpec spec = torchSpec(dir);
  std::vector<FileTensor> tensors = torchTensors();
  for (FileTensor &t : tensors)
    if (t.name == "decoder.layers.0.multihead_attn.in_proj_weight")
      t.shape = {4, 4};
  writeTensors(spec.weightsFile, tensors);
  EXPECT_EQ(errorMessage(ModelWeights::load(spec)),
            spec.weightsFile +
                ": tensor 'decoder.layers.0.multihead_attn.in_proj_weight' "
                "has shape [4, 4] but the spec needs [12, 4]");
}

TEST(ModelWeightsTest, LocatesWeightsUnderBothNamings) {
  ScratchDir dir;
  ModelSpec spec = torchSpec(dir);
  RequiredWeight kProj{"decoder.layers.0.encoder_attn.k_proj.weight", {4, 4},
                       "decoder layer 0"};
  WeightLocation torch = locateWeight(spec, kProj, /*sharedEmbedding=*/true);
  EXPECT_EQ(torch.fileName, "decoder.layers.0.multihead_attn.in_proj_weight");
  EXPECT_THAT(torch.fileShape, ElementsAre(12, 4));
  EXPECT_EQ(torch.part, 1);
  EXPECT_EQ(torch.parts, 3);

  spec.weightNames = WeightNames::Hf;
  WeightLocation hf = locateWeight(spec, kProj, /*sharedEmbedding=*/true);
  EXPECT_EQ(hf.fileName, "model.decoder.layers.0.encoder_attn.k_proj.weight");
  EXPECT_THAT(hf.fileShape, ElementsAre(4, 4));
  EXPECT_EQ(hf.parts, 1);

  RequiredWeight embedding{"encoder.embed_tokens.weight", {6, 4}, ""};
  EXPECT_EQ(locateWeight(spec, embedding, true).fileName,
            "model.shared.weight");
  EXPECT_EQ(locateWeight(spec, embedding, false).fileName,
            "model.encoder.embed_tokens.weight");
}

} // namespace
