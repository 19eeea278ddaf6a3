// Where the reference evaluator finds the tensors that `txc.weight` names.
// The frontend implements it over a safetensors file; tests implement it
// over in-memory tensors.
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace txc {

// A read-only f32 tensor owned by the WeightSource; valid while it lives.
struct WeightView {
  llvm::ArrayRef<int64_t> shape;
  llvm::ArrayRef<float> values; // row-major, size = product of shape
};

class WeightSource {
public:
  virtual ~WeightSource() = default;
  // Returns the tensor stored under `name` (a canonical txc weight name such
  // as "decoder.layers.0.fc1.weight"), or an error naming it when absent.
  // Names stored as one tensor (both embeddings of a shared table, a tied
  // output projection) give views over the same values; the compiler then
  // writes that tensor once (sameStoredTensor).
  virtual llvm::Expected<WeightView> lookup(llvm::StringRef name) const = 0;
};

// Whether `a` and `b` view the same stored tensor: the same floats at the
// same address, with the same shape.
inline bool sameStoredTensor(const WeightView &a, const WeightView &b) {
  return a.values.data() == b.values.data() &&
         a.values.size() == b.values.size() && a.shape == b.shape;
}

} // namespace txc
