#include "runtime/WeightFile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using nlohmann::json;

namespace txc::runtime {

WeightFile::~WeightFile() {
  if (mapping)
    munmap(mapping, mappedSize);
}

Status WeightFile::open(const std::string &path,
                        std::unique_ptr<WeightFile> &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::failure(path + ": cannot open the weight file: " +
                           std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::failure(path + ": not a regular file");
  }
  std::unique_ptr<WeightFile> file(new WeightFile());
  file->filePath = path;
  file->mappedSize = static_cast<size_t>(st.st_size);
  if (file->mappedSize < 8) {
    ::close(fd);
    return Status::failure(path + ": truncated: " +
                           std::to_string(file->mappedSize) +
                           " bytes, too short for a safetensors header");
  }
  void *p = mmap(nullptr, file->mappedSize, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED)
    return Status::failure(path + ": cannot map the weight file: " +
                           std::strerror(errno));
  file->mapping = p;
  if (Status s = file->parseHeader(); !s.ok())
    return s;
  out = std::move(file);
  return Status::success();
}

Status WeightFile::parseHeader() {
  const uint8_t *bytes = static_cast<const uint8_t *>(mapping);
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = (headerSize << 8) | bytes[i];
  if (headerSize > mappedSize - 8)
    return Status::failure(filePath + ": truncated: the header claims " +
                           std::to_string(headerSize) + " bytes, the file has " +
                           std::to_string(mappedSize - 8) + " after its length");
  const char *text = reinterpret_cast<const char *>(bytes + 8);
  json header = json::parse(text, text + headerSize, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return Status::failure(filePath + ": the header is not a JSON object");
  const uint8_t *data = bytes + 8 + headerSize;
  const uint64_t dataSize = mappedSize - 8 - headerSize;

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string &name = it.key();
    const json &entry = it.value();
    if (name == "__metadata__") {
      if (entry.is_object())
        for (auto m = entry.begin(); m != entry.end(); ++m)
          if (m.value().is_string())
            meta[m.key()] = m.value().get<std::string>();
      continue;
    }
    const std::string where = filePath + ": tensor '" + name + "'";
    if (!entry.is_object() || !entry.contains("dtype") ||
        !entry.contains("shape") || !entry.contains("data_offsets"))
      return Status::failure(where + ": needs dtype, shape and data_offsets");
    const json &dtype = entry["dtype"];
    const std::string dtypeText =
        dtype.is_string() ? dtype.get<std::string>() : "";
    if (dtypeText != "F32" && dtypeText != "I32")
      return Status::failure(where + ": dtype " + dtype.dump() +
                             ", txc weight files hold F32 or I32");
    DType elementType = dtypeText == "I32" ? DType::I32 : DType::F32;
    Dims shape;
    int64_t count = 1;
    const json &shapeJson = entry["shape"];
    if (!shapeJson.is_array())
      return Status::failure(where + ": shape is not an array");
    for (const json &d : shapeJson) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (1ull << 40))
        return Status::failure(where + ": invalid shape " + shapeJson.dump());
      shape.push_back(d.get<int64_t>());
      count *= shape.back();
      if (count > (int64_t(1) << 40))
        return Status::failure(where + ": invalid shape " + shapeJson.dump());
    }
    const json &offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 ||
        !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      return Status::failure(where + ": data_offsets must be two integers");
    uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > dataSize)
      return Status::failure(where + ": data [" + std::to_string(begin) + ", " +
                             std::to_string(end) + ") lies outside the " +
                             std::to_string(dataSize) + " data bytes" +
                             (end > dataSize ? " (file truncated?)" : ""));
    if (end - begin != static_cast<uint64_t>(count) * 4)
      return Status::failure(where + ": " + std::to_string(end - begin) +
                             " bytes of data for shape " + formatDims(shape) +
                             " (" + std::to_string(count * 4) + " expected)");
    uint64_t absolute = 8 + headerSize + begin;
    if (absolute % 64 != 0)
      return Status::failure(where + ": data at file offset " +
                             std::to_string(absolute) +
                             " is not 64-byte aligned");
    ranges.emplace_back(begin, end);
    table[name] = TensorView(elementType, std::move(shape),
                             const_cast<uint8_t *>(data + begin));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return Status::failure(filePath + ": tensors overlap at data offset " +
                             std::to_string(ranges[i].first));
  return Status::success();
}

Status checkWeightsMatchPlan(const WeightFile &weights, const Plan &plan) {
  auto named = weights.metadata().find(kModelMetadataKey);
  if (named != weights.metadata().end() && named->second != plan.model.name)
    return Status::failure(weights.path() + " holds the weights of model '" +
                           named->second + "', not of '" + plan.model.name +
                           "'");
  int checked = 0, wrong = 0;
  std::string first;
  for (const PlanFunction *f : plan.functions()) {
    for (const PlanStep &step : f->steps) {
      if (step.kind != OpKind::Weight)
        continue;
      ++checked;
      std::string name = step.attrString("name");
      const Dims &shape = f->values[step.result].shape;
      auto it = weights.tensors().find(name);
      std::string problem;
      if (it == weights.tensors().end())
        problem = "'" + name + "' is missing";
      else if (it->second.shape != shape)
        problem = "'" + name + "' is " + formatDims(it->second.shape) +
                  ", the plan expects " + formatDims(shape);
      if (problem.empty())
        continue;
      if (++wrong == 1)
        first = problem;
    }
  }
  if (wrong == 0)
    return Status::success();
  if (wrong == 1)
    return Status::failure(weights.path() + ": weight " + first);
  return Status::failure(weights.path() + " does not hold the weights of model '" +
                         plan.model.name + "': " + std::to_string(wrong) +
                         " of " + std::to_string(checked) +
                         " weights are missing or of another shape (first: " +
                         first + ")");
}

} // namespace txc::runtime
