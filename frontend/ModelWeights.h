// A model's weights in f32 under their canonical txc names, loaded from the
// spec's safetensors file.
#pragma once

#include "frontend/CanonicalWeights.h"
#include "frontend/ModelSpec.h"
#include "ir/WeightSource.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace txc {

class SafetensorsFile;

struct LoadedWeight {
  std::string name; // canonical
  std::vector<int64_t> shape;
  llvm::ArrayRef<float> values; // row-major, owned by the ModelWeights
};

class ModelWeights : public WeightSource {
public:
  // Opens spec.weightsFile and loads every weight of requiredWeights(spec).
  // Presence and shape of all of them are checked before any is converted;
  // errors name the file, the tensor as the file spells it and what needs
  // it. Tensors the spec does not use are ignored.
  static llvm::Expected<std::unique_ptr<ModelWeights>>
  load(const ModelSpec &spec);
  // As above, from a file already open.
  static llvm::Expected<std::unique_ptr<ModelWeights>>
  load(const ModelSpec &spec, const SafetensorsFile &file);

  llvm::Expected<WeightView> lookup(llvm::StringRef name) const override;

  // Every weight in requiredWeights order. Tied and shared weights
  // (lm_head.weight with tie_output, both embeddings from
  // model.shared.weight) point at the same values.
  llvm::ArrayRef<LoadedWeight> weights() const { return loaded; }

private:
  ModelWeights() = default;

  std::string sourcePath;
  std::vector<std::vector<float>> storage; // moving keeps element addresses
  std::vector<LoadedWeight> loaded;
  llvm::StringMap<size_t> indexByName;
};

} // namespace txc
