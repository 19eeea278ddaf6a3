#include "frontend/MarianImporter.h"

#include "frontend/JsonErrors.h"
#include "frontend/ModelSpecCheck.h"
#include "frontend/Safetensors.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>

using namespace txc;
using nlohmann::json;

namespace {

// transformers' MarianConfig defaults, for keys a config may leave out.
constexpr int64_t kDefaultMaxPositions = 1024;
constexpr int64_t kDefaultPadId = 58100;
constexpr int64_t kDefaultEosId = 0;
constexpr int64_t kDefaultUnkId = 1;
constexpr const char *kDefaultActivation = "gelu";
// Marian's LayerNorm is torch.nn.LayerNorm with its default eps.
constexpr double kMarianLayerNormEps = 1e-5;

llvm::Error fileError(llvm::StringRef path, const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s: %s",
                                 path.str().c_str(), message.c_str());
}

llvm::Expected<json> readJsonFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef text = (*buffer)->getBuffer();
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception &e) {
    return fileError(path, "not valid JSON: " + describeJsonError(e));
  }
}

// Typed access to config.json keys; remembers the first problem so the
// importer reads like a list of assignments.
class ConfigReader {
public:
  explicit ConfigReader(const json &config) : config(config) {}

  bool has(const char *key) const {
    return config.contains(key) && !config[key].is_null();
  }

  int64_t integer(const char *key, std::optional<int64_t> fallback) {
    if (!has(key))
      return fallback ? *fallback : missing(key);
    const json &value = config[key];
    if (!value.is_number_integer())
      return wrongType(key, "an integer"), 0;
    return value.get<int64_t>();
  }

  bool boolean(const char *key, bool fallback) {
    if (!has(key))
      return fallback;
    const json &value = config[key];
    if (!value.is_boolean())
      return wrongType(key, "a boolean"), false;
    return value.get<bool>();
  }

  std::string string(const char *key, const char *fallback) {
    if (!has(key))
      return fallback;
    const json &value = config[key];
    if (!value.is_string())
      return wrongType(key, "a string"), "";
    return value.get<std::string>();
  }

  void fail(std::string message) {
    if (problem.empty())
      problem = std::move(message);
  }
  const std::string &firstProblem() const { return problem; }

private:
  int64_t missing(const char *key) {
    fail(fmt::format("missing key '{}'", key));
    return 0;
  }
  void wrongType(const char *key, const char *expected) {
    fail(fmt::format("'{}' must be {}, found {}", key, expected,
                     config[key].dump()));
  }

  const json &config;
  std::string problem;
};

std::optional<Activation> marianActivation(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Activation>>(name)
      .Case("relu", Activation::Relu)
      .Case("gelu", Activation::Gelu)
      .Cases("gelu_new", "gelu_pytorch_tanh", Activation::GeluTanh)
      .Cases("swish", "silu", Activation::Swish)
      .Default(std::nullopt);
}

// The directory's own name, made an identifier ("opus-mt-en-de" ->
// "opus_mt_en_de").
std::string modelNameOf(llvm::StringRef dir) {
  llvm::SmallString<256> absolute(dir);
  (void)llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  llvm::StringRef trimmed = absolute.str().rtrim('/');
  std::string name = llvm::sys::path::filename(trimmed).str();
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (name.empty() || llvm::isDigit(name.front()))
    name = "model_" + name;
  return name;
}

std::string absoluteFileIn(llvm::StringRef dir, llvm::StringRef file) {
  llvm::SmallString<256> path(dir);
  (void)llvm::sys::fs::make_absolute(path);
  llvm::sys::path::append(path, file);
  llvm::sys::path::remove_dots(path, /*remove_dot_dot=*/true);
  return std::string(path);
}

std::string existingFileIn(llvm::StringRef dir, llvm::StringRef file) {
  std::string path = absoluteFileIn(dir, file);
  return llvm::sys::fs::is_regular_file(path) ? path : std::string();
}

llvm::Expected<int64_t> unkIdFrom(const std::string &vocabJson) {
  if (vocabJson.empty())
    return kDefaultUnkId;
  llvm::Expected<json> vocab = readJsonFile(vocabJson);
  if (!vocab)
    return vocab.takeError();
  if (!vocab->is_object())
    return fileError(vocabJson, "not a JSON object of token ids");
  auto unk = vocab->find("<unk>");
  if (unk == vocab->end())
    return kDefaultUnkId;
  if (!unk->is_number_integer())
    return fileError(vocabJson, "\"<unk>\" is not an integer id");
  return unk->get<int64_t>();
}

} // namespace

llvm::Expected<ModelSpec> txc::importMarianDirectory(llvm::StringRef dir) {
  std::string configPath = absoluteFileIn(dir, "config.json");
  llvm::Expected<json> config = readJsonFile(configPath);
  if (!config)
    return config.takeError();
  if (!config->is_object())
    return fileError(configPath, "not a JSON object");

  ModelSpec spec;
  ConfigReader read(*config);
  spec.name = modelNameOf(dir);
  spec.dModel = read.integer("d_model", std::nullopt);
  spec.encoderLayers = read.integer("encoder_layers", std::nullopt);
  spec.decoderLayers = read.integer("decoder_layers", std::nullopt);
  spec.heads = read.integer("encoder_attention_heads", std::nullopt);
  spec.ffnDim = read.integer("encoder_ffn_dim", std::nullopt);
  spec.sourceVocab = read.integer("vocab_size", std::nullopt);
  spec.targetVocab = read.integer("decoder_vocab_size", spec.sourceVocab);
  spec.maxPositions =
      read.integer("max_position_embeddings", kDefaultMaxPositions);
  spec.padId = read.integer("pad_token_id", kDefaultPadId);
  spec.eosId = read.integer("eos_token_id", kDefaultEosId);
  spec.decoderStartId = read.integer("decoder_start_token_id", spec.padId);
  spec.scaleEmbedding = read.boolean("scale_embedding", false);
  spec.tieOutput = read.boolean("tie_word_embeddings", true);
  spec.norm = read.boolean("normalize_before", false) ? NormPlacement::Pre
                                                      : NormPlacement::Post;
  std::string activation =
      read.string("activation_function", kDefaultActivation);
  int64_t decoderHeads =
      read.integer("decoder_attention_heads", spec.heads);
  int64_t decoderFfn = read.integer("decoder_ffn_dim", spec.ffnDim);
  if (!read.firstProblem().empty())
    return fileError(configPath, read.firstProblem());

  if (std::optional<Activation> parsed = marianActivation(activation))
    spec.activation = *parsed;
  else
    return fileError(configPath,
                     fmt::format("activation_function \"{}\" is not one of: "
                                 "relu, gelu, gelu_new, gelu_pytorch_tanh, "
                                 "swish, silu",
                                 activation));
  // ModelSpec has one head count and FFN width for both stacks.
  if (decoderHeads != spec.heads)
    return fileError(configPath,
                     fmt::format("decoder_attention_heads = {} differs from "
                                 "encoder_attention_heads = {}",
                                 decoderHeads, spec.heads));
  if (decoderFfn != spec.ffnDim)
    return fileError(configPath,
                     fmt::format("decoder_ffn_dim = {} differs from "
                                 "encoder_ffn_dim = {}",
                                 decoderFfn, spec.ffnDim));

  spec.positions = PositionKind::Sinusoidal;
  spec.sinusoidLayout = SinusoidLayout::Halves;
  spec.positionOffset = 0;
  spec.layerNormEps = kMarianLayerNormEps;
  spec.finalNorm = false;
  spec.embeddingNorm = false;
  spec.weightNames = WeightNames::Hf;

  spec.sourceSpm = existingFileIn(dir, "source.spm");
  spec.targetSpm = existingFileIn(dir, "target.spm");
  spec.vocabJson = existingFileIn(dir, "vocab.json");
  llvm::Expected<int64_t> unk = unkIdFrom(spec.vocabJson);
  if (!unk)
    return unk.takeError();
  spec.unkId = *unk;

  bool hasDecoderVocab = read.has("decoder_vocab_size");
  auto keyName = [&](SpecField field) -> std::string {
    switch (field) {
    case SpecField::Name:
      return "model name (from the directory name)";
    case SpecField::DModel:
      return "d_model";
    case SpecField::Heads:
      return "encoder_attention_heads";
    case SpecField::FfnDim:
      return "encoder_ffn_dim";
    case SpecField::EncoderLayers:
      return "encoder_layers";
    case SpecField::DecoderLayers:
      return "decoder_layers";
    case SpecField::SourceVocab:
      return "vocab_size";
    case SpecField::TargetVocab:
      return hasDecoderVocab ? "decoder_vocab_size" : "vocab_size";
    case SpecField::MaxPositions:
      return "max_position_embeddings";
    case SpecField::Pad:
      return "pad_token_id";
    case SpecField::Unk:
      return "unk id (vocab.json \"<unk>\")";
    case SpecField::DecoderStart:
      return "decoder_start_token_id";
    case SpecField::Eos:
      return "eos_token_id";
    case SpecField::LayerNormEps:
      return "layer_norm_eps";
    case SpecField::PositionOffset:
      return "position_offset";
    case SpecField::WeightNames:
      return "weight names";
    }
    return "?";
  };
  if (std::optional<SpecProblem> problem = findSpecProblem(spec, keyName))
    return fileError(configPath, problem->message);

  spec.weightsFile = absoluteFileIn(dir, "model.safetensors");
  if (!llvm::sys::fs::exists(spec.weightsFile))
    return fileError(spec.weightsFile,
                     "not found; txc reads Marian weights from "
                     "model.safetensors");
  llvm::Expected<std::unique_ptr<SafetensorsFile>> weights =
      SafetensorsFile::open(spec.weightsFile);
  if (!weights)
    return weights.takeError();
  spec.outputBias = (*weights)->find("final_logits_bias") != nullptr;
  return spec;
}
