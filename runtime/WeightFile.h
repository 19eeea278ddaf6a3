// The weight file of a compiled model: safetensors (8-byte little-endian
// header length, JSON header, data), every tensor F32 (or I32) and 64-byte
// aligned in the file, mapped read-only into memory.
#pragma once

#include "runtime/PlanExecutor.h"

#include <map>
#include <memory>
#include <string>

namespace txc::runtime {

class WeightFile {
public:
  // Maps and validates `path`: the header, each tensor's dtype, shape,
  // offsets and alignment. Errors name the file and the tensor.
  static Status open(const std::string &path, std::unique_ptr<WeightFile> &out);
  ~WeightFile();
  WeightFile(const WeightFile &) = delete;
  WeightFile &operator=(const WeightFile &) = delete;

  const std::string &path() const { return filePath; }
  // Views into the mapping, valid while the WeightFile lives.
  const WeightTable &tensors() const { return table; }
  // The header's "__metadata__" string entries.
  const std::map<std::string, std::string> &metadata() const { return meta; }

private:
  WeightFile() = default;
  Status parseHeader();

  std::string filePath;
  void *mapping = nullptr;
  size_t mappedSize = 0;
  WeightTable table;
  std::map<std::string, std::string> meta;
};

// The metadata key naming the model a weight file was written for.
inline constexpr const char *kModelMetadataKey = "txc.model";

// Checks `weights` holds every weight `plan` names, with the planned shape;
// a file of another model gives one error saying so.
Status checkWeightsMatchPlan(const WeightFile &weights, const Plan &plan);

} // namespace txc::runtime
