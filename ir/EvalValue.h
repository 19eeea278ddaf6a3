// The runtime values of the reference evaluator: an f32 or i32 tensor
// (row-major, with its shape) or an index scalar. Tensor storage is shared
// and never mutated after construction, so copies are cheap: cached weights
// and KV caches pass between calls without copying their elements.
#pragma once

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace txc {

class EvalValue {
public:
  enum class Kind { F32, I32, Index };

  // An index scalar 0.
  EvalValue() = default;

  // `values` must hold product(shape) elements; every dim must be >= 0.
  static EvalValue f32(std::vector<int64_t> shape, std::vector<float> values);
  static EvalValue i32(std::vector<int64_t> shape, std::vector<int32_t> values);
  static EvalValue index(int64_t value);

  Kind kind() const { return valueKind; }
  bool isTensor() const { return valueKind != Kind::Index; }

  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t dim(int64_t i) const { return dims[i]; }
  int64_t numElements() const;

  // Elements of an F32 / I32 tensor; empty for other kinds.
  llvm::ArrayRef<float> f32() const;
  llvm::ArrayRef<int32_t> i32() const;
  int64_t index() const { return indexValue; }

  // The value's type in MLIR syntax, e.g. "tensor<2x0x4xf32>" or "index".
  std::string typeString() const;

private:
  Kind valueKind = Kind::Index;
  std::vector<int64_t> dims;
  std::shared_ptr<const std::vector<float>> f32Values;
  std::shared_ptr<const std::vector<int32_t>> i32Values;
  int64_t indexValue = 0;
};

// The number of elements of a tensor of `shape`.
int64_t elementCount(llvm::ArrayRef<int64_t> shape);

} // namespace txc
