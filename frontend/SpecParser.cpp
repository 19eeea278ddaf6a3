#include "frontend/SpecParser.h"

#include "frontend/ModelSpecCheck.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <functional>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

using namespace txc;

namespace {

enum class ValueKind { Integer, Number, Boolean, String };

// How one key of the spec is checked and stored.
struct SpecKey {
  const char *section;
  const char *name;
  ValueKind kind;
  bool required;
  std::optional<SpecField> field; // set when semantic rules refer to it
  // Stores a value of the right kind; returns a message when the value is
  // still unacceptable (an unknown spelling of an enum).
  std::function<std::optional<std::string>(const toml::node &, ModelSpec &)>
      store;
};

SpecKey integerKey(const char *section, const char *name, bool required,
                   std::optional<SpecField> field, int64_t ModelSpec::*member) {
  return {section, name, ValueKind::Integer, required, field,
          [member](const toml::node &node, ModelSpec &spec) {
            spec.*member = node.as_integer()->get();
            return std::optional<std::string>();
          }};
}

SpecKey booleanKey(const char *section, const char *name,
                   bool ModelSpec::*member) {
  return {section, name, ValueKind::Boolean, false, std::nullopt,
          [member](const toml::node &node, ModelSpec &spec) {
            spec.*member = node.as_boolean()->get();
            return std::optional<std::string>();
          }};
}

SpecKey numberKey(const char *section, const char *name, SpecField field,
                  double ModelSpec::*member) {
  return {section, name, ValueKind::Number, false, field,
          [member](const toml::node &node, ModelSpec &spec) {
            spec.*member = node.is_integer()
                               ? double(node.as_integer()->get())
                               : node.as_floating_point()->get();
            return std::optional<std::string>();
          }};
}

SpecKey stringKey(const char *section, const char *name, bool required,
                  std::optional<SpecField> field,
                  std::string ModelSpec::*member) {
  return {section, name, ValueKind::String, required, field,
          [member, name](const toml::node &node, ModelSpec &spec) {
            spec.*member = node.as_string()->get();
            if ((spec.*member).empty())
              return std::optional<std::string>(
                  fmt::format("{} must not be empty", name));
            return std::optional<std::string>();
          }};
}

// An enum spelled as toString spells it; the message lists the spellings.
template <typename Enum, size_t N>
SpecKey enumKey(const char *section, const char *name,
                std::optional<SpecField> field, Enum ModelSpec::*member,
                const Enum (&values)[N]) {
  std::vector<Enum> choices(values, values + N);
  return {section, name, ValueKind::String, false, field,
          [member, name, choices](const toml::node &node, ModelSpec &spec) {
            const std::string &text = node.as_string()->get();
            std::string allowed;
            for (Enum choice : choices) {
              if (text == toString(choice)) {
                spec.*member = choice;
                return std::optional<std::string>();
              }
              allowed += (allowed.empty() ? "" : ", ") +
                         std::string(toString(choice));
            }
            return std::optional<std::string>(fmt::format(
                "{} = \"{}\" is not one of: {}", name, text, allowed));
          }};
}

constexpr NormPlacement kNorms[] = {NormPlacement::Post, NormPlacement::Pre};
constexpr Activation kActivations[] = {Activation::Relu, Activation::Gelu,
                                       Activation::GeluTanh,
                                       Activation::Swish};
constexpr PositionKind kPositionKinds[] = {PositionKind::Sinusoidal,
                                           PositionKind::Learned};
constexpr SinusoidLayout kSinusoidLayouts[] = {SinusoidLayout::Interleaved,
                                               SinusoidLayout::Halves};
constexpr WeightNames kWeightNames[] = {WeightNames::Hf, WeightNames::Torch};

constexpr const char *kSections[] = {"model", "architecture", "tokens",
                                     "weights"};

const std::vector<SpecKey> &specKeys() {
  static const std::vector<SpecKey> keys = [] {
    using F = SpecField;
    using M = ModelSpec;
    const char *arch = "architecture";
    return std::vector<SpecKey>{
        stringKey("model", "name", true, F::Name, &M::name),
        integerKey(arch, "d_model", true, F::DModel, &M::dModel),
        integerKey(arch, "heads", true, F::Heads, &M::heads),
        integerKey(arch, "ffn_dim", true, F::FfnDim, &M::ffnDim),
        integerKey(arch, "encoder_layers", true, F::EncoderLayers,
                   &M::encoderLayers),
        integerKey(arch, "decoder_layers", true, F::DecoderLayers,
                   &M::decoderLayers),
        integerKey(arch, "source_vocab", true, F::SourceVocab,
                   &M::sourceVocab),
        integerKey(arch, "target_vocab", true, F::TargetVocab,
                   &M::targetVocab),
        integerKey(arch, "max_positions", true, F::MaxPositions,
                   &M::maxPositions),
        enumKey(arch, "norm", std::nullopt, &M::norm, kNorms),
        booleanKey(arch, "final_norm", &M::finalNorm),
        booleanKey(arch, "embedding_norm", &M::embeddingNorm),
        enumKey(arch, "activation", std::nullopt, &M::activation,
                kActivations),
        numberKey(arch, "layer_norm_eps", F::LayerNormEps, &M::layerNormEps),
        enumKey(arch, "positions", std::nullopt, &M::positions,
                kPositionKinds),
        enumKey(arch, "sinusoid_layout", std::nullopt, &M::sinusoidLayout,
                kSinusoidLayouts),
        integerKey(arch, "position_offset", false, F::PositionOffset,
                   &M::positionOffset),
        booleanKey(arch, "scale_embedding", &M::scaleEmbedding),
        booleanKey(arch, "tie_output", &M::tieOutput),
        booleanKey(arch, "output_bias", &M::outputBias),
        integerKey("tokens", "pad", false, F::Pad, &M::padId),
        integerKey("tokens", "unk", false, F::Unk, &M::unkId),
        integerKey("tokens", "decoder_start", false, F::DecoderStart,
                   &M::decoderStartId),
        integerKey("tokens", "eos", false, F::Eos, &M::eosId),
        stringKey("weights", "file", false, std::nullopt, &M::weightsFile),
        enumKey("weights", "names", F::WeightNames, &M::weightNames,
                kWeightNames),
    };
  }();
  return keys;
}

const SpecKey *findKey(llvm::StringRef section, llvm::StringRef name) {
  for (const SpecKey &key : specKeys())
    if (section == key.section && name == key.name)
      return &key;
  return nullptr;
}

std::string keyList(llvm::StringRef section, bool requiredOnly) {
  std::string list;
  for (const SpecKey &key : specKeys())
    if (section == key.section && (key.required || !requiredOnly))
      list += (list.empty() ? "" : ", ") + std::string(key.name);
  return list;
}

bool holdsKind(const toml::node &node, ValueKind kind) {
  switch (kind) {
  case ValueKind::Integer:
    return node.is_integer();
  case ValueKind::Number:
    return node.is_integer() || node.is_floating_point();
  case ValueKind::Boolean:
    return node.is_boolean();
  case ValueKind::String:
    return node.is_string();
  }
  return false;
}

const char *describe(ValueKind kind) {
  switch (kind) {
  case ValueKind::Integer:
    return "an integer";
  case ValueKind::Number:
    return "a number";
  case ValueKind::Boolean:
    return "a boolean";
  case ValueKind::String:
    return "a string";
  }
  return "?";
}

const char *describe(toml::node_type type) {
  switch (type) {
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a float";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::string:
    return "a string";
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  case toml::node_type::none:
    break;
  }
  return "nothing";
}

struct Position {
  uint32_t line = 1, column = 1;
  bool operator<(const Position &other) const {
    return std::tie(line, column) < std::tie(other.line, other.column);
  }
};

Position positionOf(const toml::source_region &region) {
  // Implicit tables have no position of their own.
  if (region.begin.line == 0)
    return Position{};
  return Position{region.begin.line, std::max<uint32_t>(region.begin.column, 1)};
}

// Keeps the problem that comes first in the file, so users fix errors top
// to bottom whatever order the checks run in.
class FirstProblem {
public:
  void note(Position where, std::string message) {
    if (!found || where < position) {
      found = true;
      position = where;
      text = std::move(message);
    }
  }
  explicit operator bool() const { return found; }
  llvm::Error toError(llvm::StringRef path) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s:%u:%u: %s", path.str().c_str(),
                                   position.line, position.column,
                                   text.c_str());
  }

private:
  bool found = false;
  Position position;
  std::string text;
};

// What the file said and where, for locating semantic problems.
struct SpecLayout {
  std::map<std::string, Position> sections;
  std::map<SpecField, Position> fields;
};

// Checks sections, keys and value types, storing every acceptable value.
void readSections(const toml::table &root, ModelSpec &spec,
                  SpecLayout &layout, FirstProblem &problems) {
  for (auto &&[sectionKey, sectionNode] : root) {
    std::string section(sectionKey.str());
    if (llvm::find(kSections, section) == std::end(kSections)) {
      problems.note(positionOf(sectionKey.source()),
                    fmt::format("unknown section [{}] (known: model, "
                                "architecture, tokens, weights)",
                                section));
      continue;
    }
    const toml::table *table = sectionNode.as_table();
    if (!table) {
      problems.note(positionOf(sectionNode.source()),
                    fmt::format("'{}' must be a table ([{}]), found {}",
                                section, section,
                                describe(sectionNode.type())));
      continue;
    }
    layout.sections[section] = positionOf(table->source());
    for (auto &&[key, node] : *table) {
      const SpecKey *schema = findKey(section, key.str());
      if (!schema) {
        problems.note(positionOf(key.source()),
                      fmt::format("unknown key '{}' in [{}] (known: {})",
                                  key.str(), section, keyList(section, /*requiredOnly=*/false)));
        continue;
      }
      Position where = positionOf(node.source());
      if (!holdsKind(node, schema->kind)) {
        problems.note(where, fmt::format("{} must be {}, found {}",
                                         schema->name,
                                         describe(schema->kind),
                                         describe(node.type())));
        continue;
      }
      if (std::optional<std::string> message = schema->store(node, spec))
        problems.note(where, *message);
      if (schema->field)
        layout.fields[*schema->field] = where;
    }
  }
}

void checkRequired(const SpecLayout &layout, FirstProblem &problems) {
  for (const SpecKey &key : specKeys()) {
    if (!key.required)
      continue;
    auto section = layout.sections.find(key.section);
    if (section == layout.sections.end()) {
      problems.note(Position{}, fmt::format("missing section [{}] (required "
                                            "keys: {})",
                                            key.section,
                                            keyList(key.section,
                                                    /*requiredOnly=*/true)));
      continue;
    }
    if (!key.field || !layout.fields.count(*key.field))
      problems.note(section->second,
                    fmt::format("[{}] is missing required key '{}'",
                                key.section, key.name));
  }
}

// Where to report a problem with `field`: its value, or for a default value
// its section, or for a default token id the vocabulary that excludes it.
Position locate(SpecField field, const ModelSpec &spec,
                const SpecLayout &layout) {
  auto given = layout.fields.find(field);
  if (given != layout.fields.end())
    return given->second;
  bool isToken = field == SpecField::Pad || field == SpecField::Unk ||
                 field == SpecField::DecoderStart || field == SpecField::Eos;
  if (isToken && !layout.sections.count("tokens"))
    field = spec.sourceVocab <= spec.targetVocab ? SpecField::SourceVocab
                                                 : SpecField::TargetVocab;
  given = layout.fields.find(field);
  if (given != layout.fields.end())
    return given->second;
  for (const SpecKey &key : specKeys()) {
    auto section = layout.sections.find(key.section);
    if (key.field == field && section != layout.sections.end())
      return section->second;
  }
  return Position{};
}

std::string keyNameOf(SpecField field) {
  for (const SpecKey &key : specKeys())
    if (key.field == field)
      return key.name;
  return "?";
}

void resolveWeightsFile(llvm::StringRef specPath, ModelSpec &spec) {
  if (llvm::sys::path::is_absolute(spec.weightsFile))
    return;
  llvm::SmallString<256> file(specPath);
  (void)llvm::sys::fs::make_absolute(file);
  llvm::sys::path::remove_filename(file);
  llvm::sys::path::append(file, spec.weightsFile);
  llvm::sys::path::remove_dots(file, /*remove_dot_dot=*/true);
  spec.weightsFile = std::string(file);
}

} // namespace

llvm::Expected<ModelSpec> txc::parseModelSpecText(llvm::StringRef text,
                                                  llvm::StringRef path) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()),
                       std::string_view(path.data(), path.size()));
  } catch (const toml::parse_error &e) {
    FirstProblem problem;
    problem.note(positionOf(e.source()), std::string(e.description()));
    return problem.toError(path);
  }

  ModelSpec spec;
  spec.weightsFile = "model.safetensors";
  SpecLayout layout;
  FirstProblem problems;
  readSections(root, spec, layout, problems);
  if (!problems)
    checkRequired(layout, problems);
  if (problems)
    return problems.toError(path);

  if (std::optional<SpecProblem> problem = findSpecProblem(spec, keyNameOf)) {
    problems.note(locate(problem->field, spec, layout), problem->message);
    return problems.toError(path);
  }
  resolveWeightsFile(path, spec);
  return spec;
}

llvm::Expected<ModelSpec> txc::parseModelSpec(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "%s: cannot read: %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  return parseModelSpecText((*buffer)->getBuffer(), path);
}
