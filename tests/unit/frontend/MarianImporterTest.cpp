#include "frontend/LoadModel.h"
#include "frontend/MarianImporter.h"
#include "frontend/ModelWeights.h"

#include "TestFiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace txc;
using namespace txc::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// The shape of an OPUS-MT config.json, shrunk to d_model 4.
const char *kOpusConfig = R"({
  "_name_or_path": "Helsinki-NLP/opus-mt-en-de",
  "activation_dropout": 0.0,
  "activation_function": "swish",
  "add_bias_logits": false,
  "add_final_layer_norm": false,
  "architectures": ["MarianMTModel"],
  "d_model": 4,
  "decoder_attention_heads": 2,
  "decoder_ffn_dim": 8,
  "decoder_layers": 1,
  "decoder_start_token_id": 9,
  "encoder_attention_heads": 2,
  "encoder_ffn_dim": 8,
  "encoder_layers": 2,
  "eos_token_id": 0,
  "max_position_embeddings": 16,
  "model_type": "marian",
  "normalize_before": false,
  "normalize_embedding": false,
  "pad_token_id": 9,
  "scale_embedding": true,
  "static_position_embeddings": true,
  "vocab_size": 10
})";

const char *kVocab =
    R"({"</s>": 0, "<unk>": 1, "▁Hallo": 2, "<pad>": 9})";

// Writes the tensors a Marian checkpoint has for `spec`, plus
// final_logits_bias when `withBias`.
void writeMarianWeights(const ModelSpec &spec, const std::string &path,
                        bool withBias) {
  TensorSet set;
  float first = 0;
  for (const RequiredWeight &weight : requiredWeights(spec)) {
    llvm::StringRef name = weight.name;
    if (name == "lm_head.weight" || name == "final_logits_bias" ||
        name == "decoder.embed_tokens.weight")
      continue;
    std::string fileName = name == "encoder.embed_tokens.weight"
                               ? "model.shared.weight"
                               : "model." + weight.name;
    set.add(fileName, weight.shape, first);
    first += 100;
  }
  // Present in OPUS-MT files; txc computes sinusoids itself.
  set.add("model.encoder.embed_positions.weight", {16, 4}, 0.0f);
  if (withBias)
    set.add("final_logits_bias", {1, spec.targetVocab}, 0.0f);
  set.write(path);
}

// A model directory named `name` in `dir`; returns its path.
std::string makeMarianDir(const ScratchDir &dir, const std::string &name,
                          const std::string &config, bool withBias,
                          bool withTokenizer) {
  std::string modelDir = dir.file(name);
  dir.write(name + "/config.json", config);
  if (withTokenizer) {
    dir.write(name + "/vocab.json", kVocab);
    dir.write(name + "/source.spm", "spm");
    dir.write(name + "/target.spm", "spm");
  }
  ModelSpec shape;
  shape.dModel = 4;
  shape.heads = 2;
  shape.ffnDim = 8;
  shape.encoderLayers = 2;
  shape.decoderLayers = 1;
  shape.sourceVocab = shape.targetVocab = 10;
  shape.maxPositions = 16;
  writeMarianWeights(shape, dir.file(name + "/model.safetensors"), withBias);
  return modelDir;
}

std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(MarianImporterTest, ImportsOpusMtDirectory) {
  ScratchDir dir;
  std::string modelDir =
      makeMarianDir(dir, "opus-mt-en-de", kOpusConfig, true, true);
  ModelSpec spec = valueOf(importMarianDirectory(modelDir));
  EXPECT_EQ(spec.name, "opus_mt_en_de");
  EXPECT_EQ(spec.dModel, 4);
  EXPECT_EQ(spec.heads, 2);
  EXPECT_EQ(spec.ffnDim, 8);
  EXPECT_EQ(spec.encoderLayers, 2);
  EXPECT_EQ(spec.decoderLayers, 1);
  EXPECT_EQ(spec.sourceVocab, 10);
  EXPECT_EQ(spec.targetVocab, 10);
  EXPECT_EQ(spec.maxPositions, 16);
  EXPECT_EQ(spec.norm, NormPlacement::Post);
  EXPECT_FALSE(spec.finalNorm);
  EXPECT_FALSE(spec.embeddingNorm);
  EXPECT_EQ(spec.activation, Activation::Swish);
  EXPECT_DOUBLE_EQ(spec.layerNormEps, 1e-5);
  EXPECT_EQ(spec.positions, PositionKind::Sinusoidal);
  EXPECT_EQ(spec.sinusoidLayout, SinusoidLayout::Halves);
  EXPECT_EQ(spec.positionOffset, 0);
  EXPECT_TRUE(spec.scaleEmbedding);
  EXPECT_TRUE(spec.tieOutput);
  EXPECT_TRUE(spec.outputBias);
  EXPECT_EQ(spec.padId, 9);
  EXPECT_EQ(spec.unkId, 1);
  EXPECT_EQ(spec.decoderStartId, 9);
  EXPECT_EQ(spec.eosId, 0);
  EXPECT_EQ(spec.weightNames, WeightNames::Hf);
  EXPECT_EQ(spec.weightsFile, dir.file("opus-mt-en-de/model.safetensors"));
  EXPECT_EQ(spec.sourceSpm, dir.file("opus-mt-en-de/source.spm"));
  EXPECT_EQ(spec.targetSpm, dir.file("opus-mt-en-de/target.spm"));
  EXPECT_EQ(spec.vocabJson, dir.file("opus-mt-en-de/vocab.json"));

  // The imported spec loads its own weights.
  std::unique_ptr<ModelWeights> weights = valueOf(ModelWeights::load(spec));
  ASSERT_TRUE(weights);
  WeightView bias = valueOf(weights->lookup("final_logits_bias"));
  EXPECT_EQ(bias.values.size(), 10u);
}

TEST(MarianImporterTest, MapsOldKeysAndOptionalFiles) {
  ScratchDir dir;
  std::string config = replaced(kOpusConfig, "\"swish\"", "\"gelu_new\"");
  config = replaced(config, "\"normalize_before\": false",
                    "\"normalize_before\": true");
  config = replaced(config, "\"scale_embedding\": true",
                    "\"scale_embedding\": false");
  config = replaced(config, "\"decoder_start_token_id\": 9,", "");
  config = replaced(config, "\"pad_token_id\": 9", "\"pad_token_id\": 8");
  std::string modelDir = makeMarianDir(dir, "7x.model/", config,
                                       /*withBias=*/false,
                                       /*withTokenizer=*/false);
  ModelSpec spec = valueOf(importMarianDirectory(modelDir + "/"));
  EXPECT_EQ(spec.name, "model_7x_model");
  EXPECT_EQ(spec.activation, Activation::GeluTanh);
  EXPECT_EQ(spec.norm, NormPlacement::Pre);
  EXPECT_FALSE(spec.scaleEmbedding);
  EXPECT_FALSE(spec.outputBias);
  EXPECT_EQ(spec.padId, 8);
  EXPECT_EQ(spec.decoderStartId, 8); // defaults to pad
  EXPECT_EQ(spec.unkId, 1);
  EXPECT_TRUE(spec.sourceSpm.empty());
  EXPECT_TRUE(spec.targetSpm.empty());
  EXPECT_TRUE(spec.vocabJson.empty());
}

TEST(MarianImporterTest, ReadsActivationSpellings) {
  const std::pair<const char *, Activation> spellings[] = {
      {"relu", Activation::Relu},
      {"gelu", Activation::Gelu},
      {"silu", Activation::Swish},
      {"gelu_pytorch_tanh", Activation::GeluTanh},
  };
  ScratchDir dir;
  std::string modelDir = makeMarianDir(dir, "m", kOpusConfig, true, false);
  for (const auto &[spelling, activation] : spellings) {
    dir.write("m/config.json",
              replaced(kOpusConfig, "\"swish\"",
                       std::string("\"") + spelling + "\""));
    ModelSpec spec = valueOf(importMarianDirectory(modelDir));
    EXPECT_EQ(spec.activation, activation) << spelling;
  }
}

struct BadConfig {
  const char *label;
  std::string from, to; // one edit to kOpusConfig
  std::string message;  // after "<dir>/config.json: "
};

void PrintTo(const BadConfig &c, std::ostream *os) { *os << c.label; }

class MarianImporterErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(MarianImporterErrorTest, NamesConfigAndKey) {
  const BadConfig &c = GetParam();
  ScratchDir dir;
  std::string modelDir = makeMarianDir(
      dir, "m", replaced(kOpusConfig, c.from, c.to), true, true);
  EXPECT_EQ(errorMessage(importMarianDirectory(modelDir)),
            dir.file("m/config.json") + ": " + c.message);
}

const BadConfig kBadConfigs[] = {
    {"MissingKey", "\"d_model\": 4,", "", "missing key 'd_model'"},
    {"WrongType", "\"encoder_layers\": 2", "\"encoder_layers\": \"2\"",
     "'encoder_layers' must be an integer, found \"2\""},
    {"WrongBoolean", "\"scale_embedding\": true", "\"scale_embedding\": 1",
     "'scale_embedding' must be a boolean, found 1"},
    {"BadActivation", "\"swish\"", "\"tanh\"",
     "activation_function \"tanh\" is not one of: relu, gelu, gelu_new, "
     "gelu_pytorch_tanh, swish, silu"},
    {"DecoderHeadsDiffer", "\"encoder_attention_heads\": 2",
     "\"encoder_attention_heads\": 3",
     "decoder_attention_heads = 2 differs from encoder_attention_heads = 3"},
    {"DecoderFfnDiffers", "\"decoder_ffn_dim\": 8", "\"decoder_ffn_dim\": 16",
     "decoder_ffn_dim = 16 differs from encoder_ffn_dim = 8"},
    {"PadOutsideVocab", "\"pad_token_id\": 9", "\"pad_token_id\": 10",
     "pad_token_id = 10 is outside [0, 10), the ids both vocabularies hold"},
    {"NonPositiveLayers", "\"decoder_layers\": 1", "\"decoder_layers\": 0",
     "decoder_layers = 0 must be positive"},
    {"NotJson", "\"vocab_size\": 10\n}", "\"vocab_size\": 10",
     "not valid JSON: parse error at line 24, column 19: syntax error while "
     "parsing object - unexpected end of input; expected '}'"},
};

INSTANTIATE_TEST_SUITE_P(
    Configs, MarianImporterErrorTest, ::testing::ValuesIn(kBadConfigs),
    [](const ::testing::TestParamInfo<BadConfig> &info) {
      return std::string(info.param.label);
    });

TEST(MarianImporterTest, HeadsMustDivideDModel) {
  ScratchDir dir;
  std::string config = replaced(kOpusConfig, "\"encoder_attention_heads\": 2",
                                "\"encoder_attention_heads\": 3");
  config = replaced(config, "\"decoder_attention_heads\": 2",
                    "\"decoder_attention_heads\": 3");
  std::string modelDir = makeMarianDir(dir, "m", config, true, false);
  EXPECT_EQ(errorMessage(importMarianDirectory(modelDir)),
            dir.file("m/config.json") +
                ": encoder_attention_heads = 3 does not divide d_model = 4");
}

TEST(MarianImporterTest, NeedsSafetensorsWeights) {
  ScratchDir dir;
  dir.write("m/config.json", kOpusConfig);
  EXPECT_EQ(errorMessage(importMarianDirectory(dir.file("m"))),
            dir.file("m/model.safetensors") +
                ": not found; txc reads Marian weights from "
                "model.safetensors");
}

TEST(MarianImporterTest, MissingConfigIsNamed) {
  ScratchDir dir;
  EXPECT_THAT(errorMessage(importMarianDirectory(dir.path())),
              StartsWith(dir.file("config.json") + ": cannot read: "));
}

TEST(LoadModelTest, DispatchesOnDirectoryOrSpec) {
  ScratchDir dir;
  std::string modelDir = makeMarianDir(dir, "opus", kOpusConfig, true, true);
  ModelSpec marian = valueOf(loadModel(modelDir));
  EXPECT_EQ(marian.name, "opus");
  EXPECT_EQ(marian.activation, Activation::Swish);

  std::string specPath = dir.write("spec.toml", R"([model]
name = "toml_model"
[architecture]
d_model = 4
heads = 2
ffn_dim = 8
encoder_layers = 1
decoder_layers = 1
source_vocab = 10
target_vocab = 10
max_positions = 8
)");
  ModelSpec toml = valueOf(loadModel(specPath));
  EXPECT_EQ(toml.name, "toml_model");

  std::string empty = dir.file("empty");
  dir.write("empty/readme.txt", "");
  EXPECT_EQ(errorMessage(loadModel(empty)),
            empty + ": directory has no config.json; a model is a TOML spec "
                    "file or an HF Marian directory");
  EXPECT_THAT(errorMessage(loadModel(dir.file("nothing.toml"))),
              HasSubstr("nothing.toml: cannot read: "));
}

} // namespace
