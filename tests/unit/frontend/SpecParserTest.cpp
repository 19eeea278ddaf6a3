#include "frontend/SpecParser.h"

#include "TestFiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace txc;
using namespace txc::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

const char *kMinimalSpec = R"([model]
name = "base"

[architecture]
d_model = 512
heads = 8
ffn_dim = 2048
encoder_layers = 6
decoder_layers = 5
source_vocab = 32000
target_vocab = 31000
max_positions = 256
)";

TEST(SpecParserTest, MinimalSpecTakesEveryDefault) {
  ScratchDir dir;
  std::string path = dir.write("model.toml", kMinimalSpec);
  ModelSpec spec = valueOf(parseModelSpec(path));
  EXPECT_EQ(spec.name, "base");
  EXPECT_EQ(spec.dModel, 512);
  EXPECT_EQ(spec.heads, 8);
  EXPECT_EQ(spec.headDim(), 64);
  EXPECT_EQ(spec.ffnDim, 2048);
  EXPECT_EQ(spec.encoderLayers, 6);
  EXPECT_EQ(spec.decoderLayers, 5);
  EXPECT_EQ(spec.sourceVocab, 32000);
  EXPECT_EQ(spec.targetVocab, 31000);
  EXPECT_EQ(spec.maxPositions, 256);
  EXPECT_EQ(spec.norm, NormPlacement::Post);
  EXPECT_FALSE(spec.finalNorm);
  EXPECT_FALSE(spec.embeddingNorm);
  EXPECT_EQ(spec.activation, Activation::Relu);
  EXPECT_DOUBLE_EQ(spec.layerNormEps, 1e-5);
  EXPECT_EQ(spec.positions, PositionKind::Sinusoidal);
  EXPECT_EQ(spec.sinusoidLayout, SinusoidLayout::Interleaved);
  EXPECT_EQ(spec.positionOffset, 0);
  EXPECT_TRUE(spec.scaleEmbedding);
  EXPECT_TRUE(spec.tieOutput);
  EXPECT_FALSE(spec.outputBias);
  EXPECT_EQ(spec.padId, 0);
  EXPECT_EQ(spec.unkId, 1);
  EXPECT_EQ(spec.decoderStartId, 2);
  EXPECT_EQ(spec.eosId, 3);
  EXPECT_EQ(spec.weightsFile, dir.file("model.safetensors"));
  EXPECT_EQ(spec.weightNames, WeightNames::Hf);
  EXPECT_TRUE(spec.sourceSpm.empty());
  EXPECT_TRUE(spec.targetSpm.empty());
  EXPECT_TRUE(spec.vocabJson.empty());
}

TEST(SpecParserTest, ReadsEveryKey) {
  ScratchDir dir;
  std::string path = dir.write("specs/full.toml", R"(
[model]
name = "tiny_2"

[architecture]
d_model = 12
heads = 3
ffn_dim = 40
encoder_layers = 2
decoder_layers = 1
source_vocab = 100
target_vocab = 90
max_positions = 64
norm = "pre"
final_norm = true
embedding_norm = true
activation = "gelu_tanh"
layer_norm_eps = 1e-6
positions = "learned"
sinusoid_layout = "halves"
position_offset = 2
scale_embedding = false
tie_output = false
output_bias = true

[tokens]
pad = 1
unk = 3
decoder_start = 0
eos = 2

[weights]
file = "../weights/tiny.safetensors"
names = "torch"
)");
  ModelSpec spec = valueOf(parseModelSpec(path));
  EXPECT_EQ(spec.name, "tiny_2");
  EXPECT_EQ(spec.dModel, 12);
  EXPECT_EQ(spec.heads, 3);
  EXPECT_EQ(spec.ffnDim, 40);
  EXPECT_EQ(spec.encoderLayers, 2);
  EXPECT_EQ(spec.decoderLayers, 1);
  EXPECT_EQ(spec.sourceVocab, 100);
  EXPECT_EQ(spec.targetVocab, 90);
  EXPECT_EQ(spec.maxPositions, 64);
  EXPECT_EQ(spec.norm, NormPlacement::Pre);
  EXPECT_TRUE(spec.finalNorm);
  EXPECT_TRUE(spec.embeddingNorm);
  EXPECT_EQ(spec.activation, Activation::GeluTanh);
  EXPECT_DOUBLE_EQ(spec.layerNormEps, 1e-6);
  EXPECT_EQ(spec.positions, PositionKind::Learned);
  EXPECT_EQ(spec.sinusoidLayout, SinusoidLayout::Halves);
  EXPECT_EQ(spec.positionOffset, 2);
  EXPECT_FALSE(spec.scaleEmbedding);
  EXPECT_FALSE(spec.tieOutput);
  EXPECT_TRUE(spec.outputBias);
  EXPECT_EQ(spec.padId, 1);
  EXPECT_EQ(spec.unkId, 3);
  EXPECT_EQ(spec.decoderStartId, 0);
  EXPECT_EQ(spec.eosId, 2);
  EXPECT_EQ(spec.weightsFile, dir.file("weights/tiny.safetensors"));
  EXPECT_EQ(spec.weightNames, WeightNames::Torch);
}

TEST(SpecParserTest, AcceptsOtherSpellingsAndAbsoluteWeights) {
  ScratchDir dir;
  std::string path = dir.write("m.toml", std::string(kMinimalSpec) + R"(
activation = "swish"
layer_norm_eps = 1
[weights]
file = "/data/w.safetensors"
)");
  ModelSpec spec = valueOf(parseModelSpec(path));
  EXPECT_EQ(spec.activation, Activation::Swish);
  EXPECT_DOUBLE_EQ(spec.layerNormEps, 1.0);
  EXPECT_EQ(spec.weightsFile, "/data/w.safetensors");
}

// Each case appends `extra` to the minimal spec's [architecture] table (or
// replaces the spec with `spec`) and expects `path:line:column: message`.
struct BadSpec {
  const char *label;
  std::string spec;
  std::string location; // "line:column"
  std::string message;
};

void PrintTo(const BadSpec &c, std::ostream *os) { *os << c.label; }

std::string withArchitecture(const std::string &extra) {
  return std::string(kMinimalSpec) + extra;
}

std::string replacing(const std::string &from, const std::string &to) {
  std::string spec = kMinimalSpec;
  size_t at = spec.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return spec.replace(at, from.size(), to);
}

class SpecParserErrorTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SpecParserErrorTest, ReportsFileLineColumn) {
  const BadSpec &c = GetParam();
  ScratchDir dir;
  std::string path = dir.write("bad.toml", c.spec);
  EXPECT_EQ(errorMessage(parseModelSpec(path)),
            path + ":" + c.location + ": " + c.message);
}

const BadSpec kBadSpecs[] = {
    {"UnknownKey", withArchitecture("dmodel = 5\n"), "13:1",
     "unknown key 'dmodel' in [architecture] (known: d_model, heads, ffn_dim, "
     "encoder_layers, decoder_layers, source_vocab, target_vocab, "
     "max_positions, norm, final_norm, embedding_norm, activation, "
     "layer_norm_eps, positions, sinusoid_layout, position_offset, "
     "scale_embedding, tie_output, output_bias)"},
    {"UnknownSection", std::string(kMinimalSpec) + "\n[decoding]\nbeam = 4\n",
     "14:2",
     "unknown section [decoding] (known: model, architecture, tokens, "
     "weights)"},
    {"UnknownTopLevelKey", "version = 2\n" + std::string(kMinimalSpec), "1:1",
     "unknown section [version] (known: model, architecture, tokens, "
     "weights)"},
    {"SectionNotTable", "tokens = 3\n" + std::string(kMinimalSpec), "1:10",
     "'tokens' must be a table ([tokens]), found an integer"},
    {"WrongTypeInteger", replacing("heads = 8", "heads = 8.0"), "6:9",
     "heads must be an integer, found a float"},
    {"WrongTypeString", replacing("name = \"base\"", "name = 12"), "2:8",
     "name must be a string, found an integer"},
    {"WrongTypeBoolean", withArchitecture("final_norm = \"yes\"\n"), "13:14",
     "final_norm must be a boolean, found a string"},
    {"WrongTypeNumber", withArchitecture("layer_norm_eps = \"small\"\n"),
     "13:18", "layer_norm_eps must be a number, found a string"},
    {"MissingRequiredKey", replacing("heads = 8\n", ""), "4:1",
     "[architecture] is missing required key 'heads'"},
    {"MissingSection",
     "[model]\nname = \"x\"\n[tokens]\neos = 3\n", "1:1",
     "missing section [architecture] (required keys: d_model, heads, "
     "ffn_dim, encoder_layers, decoder_layers, source_vocab, target_vocab, "
     "max_positions)"},
    {"NonPositiveSize", replacing("ffn_dim = 2048", "ffn_dim = 0"), "7:11",
     "ffn_dim = 0 must be positive"},
    {"NegativeSize", replacing("encoder_layers = 6", "encoder_layers = -1"),
     "8:18", "encoder_layers = -1 must be positive"},
    {"HugeSize", replacing("max_positions = 256", "max_positions = 9999999999"),
     "12:17", "max_positions = 9999999999 is too large (at most 2147483647)"},
    {"TooManyLayers", replacing("decoder_layers = 5", "decoder_layers = 1025"),
     "9:18", "decoder_layers = 1025 is too large (at most 1024)"},
    {"HeadsNotDividing", replacing("heads = 8", "heads = 6"), "6:9",
     "heads = 6 does not divide d_model = 512"},
    {"OddDModelSinusoidal",
     replacing("d_model = 512\nheads = 8", "d_model = 511\nheads = 7"), "5:11",
     "d_model = 511 is odd; sinusoidal positions need an even d_model"},
    {"ZeroEps", withArchitecture("layer_norm_eps = 0.0\n"), "13:18",
     "layer_norm_eps = 0 must be a positive finite number"},
    {"NegativeEps", withArchitecture("layer_norm_eps = -1e-5\n"), "13:18",
     "layer_norm_eps = -1e-05 must be a positive finite number"},
    {"NanEps", withArchitecture("layer_norm_eps = nan\n"), "13:18",
     "layer_norm_eps = nan must be a positive finite number"},
    {"NegativeOffset", withArchitecture("position_offset = -2\n"), "13:19",
     "position_offset = -2 must not be negative"},
    {"TokenAboveVocab",
     withArchitecture("[tokens]\npad = 0\neos = 31000\n"), "15:7",
     "eos = 31000 is outside [0, 31000), the ids both vocabularies hold"},
    {"NegativeToken", withArchitecture("[tokens]\nunk = -1\n"), "14:7",
     "unk = -1 is outside [0, 31000), the ids both vocabularies hold"},
    {"DefaultTokenOutsideTinyVocab",
     replacing("source_vocab = 32000", "source_vocab = 3"), "10:16",
     "eos = 3 is outside [0, 3), the ids both vocabularies hold"},
    {"DefaultTokenOutsideVocabWithTokensSection",
     replacing("source_vocab = 32000", "source_vocab = 3") +
         "[tokens]\npad = 0\n",
     "13:1", "eos = 3 is outside [0, 3), the ids both vocabularies hold"},
    {"NameNotIdentifier", replacing("\"base\"", "\"2-base\""), "2:8",
     "name \"2-base\" is not an identifier (letters, digits and '_', not "
     "starting with a digit)"},
    {"EmptyName", replacing("\"base\"", "\"\""), "2:8",
     "name must not be empty"},
    {"BadEnumActivation", withArchitecture("activation = \"silu\"\n"), "13:14",
     "activation = \"silu\" is not one of: relu, gelu, gelu_tanh, swish"},
    {"BadEnumNorm", withArchitecture("norm = \"Post\"\n"), "13:8",
     "norm = \"Post\" is not one of: post, pre"},
    {"BadEnumPositions", withArchitecture("positions = \"rope\"\n"), "13:13",
     "positions = \"rope\" is not one of: sinusoidal, learned"},
    {"BadEnumLayout", withArchitecture("sinusoid_layout = \"split\"\n"), "13:19",
     "sinusoid_layout = \"split\" is not one of: interleaved, halves"},
    {"BadEnumNames", std::string(kMinimalSpec) + "[weights]\nnames = \"tf\"\n",
     "14:9", "names = \"tf\" is not one of: hf, torch"},
    {"TorchNamesNeedFinalNorm",
     std::string(kMinimalSpec) + "[weights]\nnames = \"torch\"\n", "14:9",
     "names = \"torch\" needs final_norm = true (nn.Transformer always has "
     "encoder.norm and decoder.norm)"},
    {"EmptyWeightsFile", std::string(kMinimalSpec) + "[weights]\nfile = \"\"\n",
     "14:8", "file must not be empty"},
    {"TomlSyntax", replacing("heads = 8", "heads = "), "6:9",
     "Error while parsing key-value pair: expected value, saw '\\n'"},
    {"FirstErrorInFileOrder",
     replacing("name = \"base\"", "name = \"base\"\nzzz = 1") +
         "activation = 4\n",
     "3:1",
     "unknown key 'zzz' in [model] (known: name)"},
};

INSTANTIATE_TEST_SUITE_P(
    Specs, SpecParserErrorTest, ::testing::ValuesIn(kBadSpecs),
    [](const ::testing::TestParamInfo<BadSpec> &info) {
      return std::string(info.param.label);
    });

TEST(SpecParserTest, OddDModelIsFineWithLearnedPositions) {
  ScratchDir dir;
  std::string path = dir.write(
      "m.toml", replacing("d_model = 512\nheads = 8",
                          "d_model = 511\nheads = 7\npositions = \"learned\""));
  ModelSpec spec = valueOf(parseModelSpec(path));
  EXPECT_EQ(spec.dModel, 511);
  EXPECT_EQ(spec.positions, PositionKind::Learned);
}

TEST(SpecParserTest, UnreadableFileNamesIt) {
  ScratchDir dir;
  std::string path = dir.file("absent.toml");
  EXPECT_THAT(errorMessage(parseModelSpec(path)),
              StartsWith(path + ": cannot read: "));
}

TEST(SpecParserTest, TextEntryPointAnchorsWeightsAtGivenPath) {
  ModelSpec spec = valueOf(parseModelSpecText(kMinimalSpec, "/m/spec.toml"));
  EXPECT_EQ(spec.weightsFile, "/m/model.safetensors");
  EXPECT_THAT(errorMessage(parseModelSpecText("[model]\nname = 1\n",
                                              "/m/spec.toml")),
              HasSubstr("/m/spec.toml:2:8: name must be a string"));
}

} // namespace
