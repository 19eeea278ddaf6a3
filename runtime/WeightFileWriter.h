// Writes a weight file in the form WeightFile reads: safetensors with F32
// tensors, the header padded so every tensor starts 64-byte aligned in the
// file. The compiler writes repacked weights with it.
#pragma once

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace txc::runtime {

struct NamedTensor {
  std::string name;
  Dims shape;
  const void *data = nullptr; // numElements(shape) values, row-major
  DType dtype = DType::F32;   // F32 or I32: 4 bytes each
};

// Writes `tensors` in order, with `metadata` as the header's
// "__metadata__" (set kModelMetadataKey to the model's name).
Status writeWeightFile(const std::string &path,
                       const std::vector<NamedTensor> &tensors,
                       const std::map<std::string, std::string> &metadata);

} // namespace txc::runtime
