// The semantic rules every ModelSpec obeys, whatever format it came from
// (DESIGN.md, "Model spec"). Each format reports a broken rule at its own key
// and location, so a problem names the setting it is about.
#pragma once

#include "frontend/ModelSpec.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace txc {

// The settings a rule can be broken by.
enum class SpecField {
  Name,
  DModel,
  Heads,
  FfnDim,
  EncoderLayers,
  DecoderLayers,
  SourceVocab,
  TargetVocab,
  MaxPositions,
  LayerNormEps,
  PositionOffset,
  Pad,
  Unk,
  DecoderStart,
  Eos,
  WeightNames,
};

struct SpecProblem {
  SpecField field;     // the setting to fix
  std::string message; // one line, spelling settings with keyName
};

// Largest accepted size or offset: keeps every tensor's element count, and
// the arithmetic downstream stages do on it, inside int64_t.
constexpr int64_t kMaxModelDim = 2147483647;
// Largest accepted layer count per stack; far above any real model, it keeps
// the weight list of a mistyped spec from exhausting memory.
constexpr int64_t kMaxLayers = 1024;

// The first rule `spec` breaks, or nullopt when it is valid. `keyName` spells
// a field the way the user's format does ("heads" in TOML,
// "encoder_attention_heads" in a Marian config).
std::optional<SpecProblem>
findSpecProblem(const ModelSpec &spec,
                llvm::function_ref<std::string(SpecField)> keyName);

// True for letters, digits and '_', not starting with a digit.
bool isIdentifier(llvm::StringRef text);

} // namespace txc
