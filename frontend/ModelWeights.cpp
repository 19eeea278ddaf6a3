#include "frontend/ModelWeights.h"

#include "frontend/Safetensors.h"

#include <fmt/format.h>

using namespace txc;

namespace {

constexpr const char *kSharedEmbedding = "model.shared.weight";
constexpr const char *kDecoderEmbedding = "decoder.embed_tokens.weight";

llvm::Error fileError(llvm::StringRef path, const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s: %s",
                                 path.str().c_str(), message.c_str());
}

bool isTiedOutput(const ModelSpec &spec, const RequiredWeight &weight) {
  return spec.tieOutput && weight.name == kOutputProjection;
}

// Finds where every weight lives and checks that the file holds it with the
// right shape, so a bad file fails before any data is converted.
llvm::Expected<std::vector<WeightLocation>>
planWeights(const ModelSpec &spec, llvm::ArrayRef<RequiredWeight> required,
            const SafetensorsFile &file) {
  bool shared = file.find(kSharedEmbedding) != nullptr;
  if (shared && spec.sourceVocab != spec.targetVocab)
    return fileError(file.path(),
                     fmt::format("'{}' serves both embeddings, but "
                                 "source_vocab = {} differs from "
                                 "target_vocab = {}",
                                 kSharedEmbedding, spec.sourceVocab,
                                 spec.targetVocab));
  std::vector<WeightLocation> locations;
  for (const RequiredWeight &weight : required) {
    if (isTiedOutput(spec, weight)) {
      locations.emplace_back();
      continue;
    }
    WeightLocation location = locateWeight(spec, weight, shared);
    const SafetensorsEntry *entry = file.find(location.fileName);
    if (!entry)
      return fileError(file.path(),
                       fmt::format("missing tensor '{}' (needed by {})",
                                   location.fileName, weight.neededBy));
    if (entry->shape != location.fileShape)
      return fileError(file.path(),
                       fmt::format("tensor '{}' has shape {} but the spec "
                                   "needs {}",
                                   location.fileName,
                                   formatShape(entry->shape),
                                   formatShape(location.fileShape)));
    locations.push_back(std::move(location));
  }
  return locations;
}

// Row block `part` of `parts` equal blocks along dim 0 of a row-major
// tensor.
std::vector<float> rowBlock(llvm::ArrayRef<float> values, int64_t part,
                            int64_t parts) {
  size_t blockSize = values.size() / size_t(parts);
  auto begin = values.begin() + size_t(part) * blockSize;
  return std::vector<float>(begin, begin + blockSize);
}

} // namespace

llvm::Expected<std::unique_ptr<ModelWeights>>
ModelWeights::load(const ModelSpec &spec) {
  llvm::Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::open(spec.weightsFile);
  if (!file)
    return file.takeError();
  return load(spec, **file);
}

llvm::Expected<std::unique_ptr<ModelWeights>>
ModelWeights::load(const ModelSpec &spec, const SafetensorsFile &file) {
  std::vector<RequiredWeight> required = requiredWeights(spec);
  llvm::Expected<std::vector<WeightLocation>> locations =
      planWeights(spec, required, file);
  if (!locations)
    return locations.takeError();

  std::unique_ptr<ModelWeights> weights(new ModelWeights);
  weights->sourcePath = file.path().str();
  weights->storage.reserve(required.size());
  // A file tensor serving several weights (model.shared.weight, a torch
  // in_proj) is converted once.
  llvm::StringMap<size_t> slotOfFileTensor;
  llvm::StringMap<std::vector<float>> stackedTensors;
  std::vector<size_t> slots;
  for (size_t i = 0; i < required.size(); ++i) {
    const RequiredWeight &weight = required[i];
    const WeightLocation &location = (*locations)[i];
    size_t slot;
    if (isTiedOutput(spec, weight)) {
      slot = slots[weights->indexByName.lookup(kDecoderEmbedding)];
    } else if (location.parts == 1) {
      auto known = slotOfFileTensor.find(location.fileName);
      if (known != slotOfFileTensor.end()) {
        slot = known->second;
      } else {
        llvm::Expected<std::vector<float>> values =
            file.readAsF32(location.fileName);
        if (!values)
          return values.takeError();
        slot = weights->storage.size();
        weights->storage.push_back(std::move(*values));
        slotOfFileTensor[location.fileName] = slot;
      }
    } else {
      auto stacked = stackedTensors.find(location.fileName);
      if (stacked == stackedTensors.end()) {
        llvm::Expected<std::vector<float>> values =
            file.readAsF32(location.fileName);
        if (!values)
          return values.takeError();
        stacked = stackedTensors.try_emplace(location.fileName,
                                             std::move(*values))
                      .first;
      }
      slot = weights->storage.size();
      weights->storage.push_back(
          rowBlock(stacked->second, location.part, location.parts));
    }
    slots.push_back(slot);
    weights->indexByName[weight.name] = weights->loaded.size();
    weights->loaded.push_back(
        {weight.name, weight.shape, weights->storage[slot]});
  }
  return weights;
}

llvm::Expected<WeightView> ModelWeights::lookup(llvm::StringRef name) const {
  auto found = indexByName.find(name);
  if (found == indexByName.end())
    return fileError(sourcePath,
                     fmt::format("the model has no weight '{}'", name.str()));
  const LoadedWeight &weight = loaded[found->second];
  return WeightView{weight.shape, weight.values};
}
