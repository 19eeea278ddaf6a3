#include "frontend/ModelSpecCheck.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

using namespace txc;

namespace {

struct IntegerSetting {
  SpecField field;
  int64_t ModelSpec::*member;
  int64_t limit = 0; // largest accepted value, for sizes
};

constexpr IntegerSetting kSizes[] = {
    {SpecField::DModel, &ModelSpec::dModel, kMaxModelDim},
    {SpecField::Heads, &ModelSpec::heads, kMaxModelDim},
    {SpecField::FfnDim, &ModelSpec::ffnDim, kMaxModelDim},
    {SpecField::EncoderLayers, &ModelSpec::encoderLayers, kMaxLayers},
    {SpecField::DecoderLayers, &ModelSpec::decoderLayers, kMaxLayers},
    {SpecField::SourceVocab, &ModelSpec::sourceVocab, kMaxModelDim},
    {SpecField::TargetVocab, &ModelSpec::targetVocab, kMaxModelDim},
    {SpecField::MaxPositions, &ModelSpec::maxPositions, kMaxModelDim},
};

constexpr IntegerSetting kTokens[] = {
    {SpecField::Pad, &ModelSpec::padId},
    {SpecField::Unk, &ModelSpec::unkId},
    {SpecField::DecoderStart, &ModelSpec::decoderStartId},
    {SpecField::Eos, &ModelSpec::eosId},
};

} // namespace

bool txc::isIdentifier(llvm::StringRef text) {
  if (text.empty() || llvm::isDigit(text.front()))
    return false;
  return llvm::all_of(text,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::optional<SpecProblem>
txc::findSpecProblem(const ModelSpec &spec,
                     llvm::function_ref<std::string(SpecField)> keyName) {
  auto problem = [&](SpecField field, const std::string &message) {
    return SpecProblem{field, message};
  };
  auto setting = [&](SpecField field, auto value) {
    return fmt::format("{} = {}", keyName(field), value);
  };

  if (!isIdentifier(spec.name))
    return problem(SpecField::Name,
                   fmt::format("{} \"{}\" is not an identifier (letters, "
                               "digits and '_', not starting with a digit)",
                               keyName(SpecField::Name), spec.name));

  for (const IntegerSetting &size : kSizes) {
    int64_t value = spec.*size.member;
    if (value <= 0)
      return problem(size.field,
                     setting(size.field, value) + " must be positive");
    if (value > size.limit)
      return problem(size.field,
                     fmt::format("{} is too large (at most {})",
                                 setting(size.field, value), size.limit));
  }

  if (spec.dModel % spec.heads != 0)
    return problem(SpecField::Heads,
                   fmt::format("{} does not divide {}",
                               setting(SpecField::Heads, spec.heads),
                               setting(SpecField::DModel, spec.dModel)));

  if (spec.positions == PositionKind::Sinusoidal && spec.dModel % 2 != 0)
    return problem(SpecField::DModel,
                   setting(SpecField::DModel, spec.dModel) +
                       " is odd; sinusoidal positions need an even d_model");

  if (!(spec.layerNormEps > 0) || !std::isfinite(spec.layerNormEps))
    return problem(SpecField::LayerNormEps,
                   setting(SpecField::LayerNormEps, spec.layerNormEps) +
                       " must be a positive finite number");

  if (spec.positionOffset < 0)
    return problem(SpecField::PositionOffset,
                   setting(SpecField::PositionOffset, spec.positionOffset) +
                       " must not be negative");
  if (spec.positionOffset > kMaxModelDim)
    return problem(SpecField::PositionOffset,
                   fmt::format("{} is too large (at most {})",
                               setting(SpecField::PositionOffset,
                                       spec.positionOffset),
                               kMaxModelDim));

  int64_t tokenLimit = std::min(spec.sourceVocab, spec.targetVocab);
  for (const IntegerSetting &token : kTokens) {
    int64_t id = spec.*token.member;
    if (id < 0 || id >= tokenLimit)
      return problem(token.field,
                     fmt::format("{} is outside [0, {}), the ids both "
                                 "vocabularies hold",
                                 setting(token.field, id), tokenLimit));
  }

  if (spec.weightNames == WeightNames::Torch && !spec.finalNorm)
    return problem(SpecField::WeightNames,
                   fmt::format("{} = \"torch\" needs final_norm = true "
                               "(nn.Transformer always has encoder.norm and "
                               "decoder.norm)",
                               keyName(SpecField::WeightNames)));
  return std::nullopt;
}
