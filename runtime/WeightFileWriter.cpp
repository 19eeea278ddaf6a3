#include "runtime/WeightFileWriter.h"

#include "runtime/MemoryPlan.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace txc::runtime {

Status writeWeightFile(const std::string &path,
                       const std::vector<NamedTensor> &tensors,
                       const std::map<std::string, std::string> &metadata) {
  const uint64_t align = static_cast<uint64_t>(kArenaAlignment);
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  std::vector<uint64_t> offsets;
  uint64_t end = 0;
  for (const NamedTensor &t : tensors) {
    for (int64_t d : t.shape)
      if (d < 0)
        return Status::failure(path + ": tensor '" + t.name +
                               "' has a negative dimension");
    uint64_t begin = (end + align - 1) / align * align;
    uint64_t bytes = static_cast<uint64_t>(numElements(t.shape)) * 4;
    offsets.push_back(begin);
    end = begin + bytes;
    header[t.name] = {{"dtype", t.dtype == DType::I32 ? "I32" : "F32"},
                      {"shape", t.shape},
                      {"data_offsets", {begin, end}}};
  }
  std::string text = header.dump();
  // Spaces after the JSON are allowed and put the data at a multiple of 64.
  size_t padded = ((8 + text.size() + align - 1) / align) * align - 8;
  text.append(padded - text.size(), ' ');

  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "wb"),
                                              &std::fclose);
  if (!file)
    return Status::failure(path + ": cannot open for writing: " +
                           std::strerror(errno));
  unsigned char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<unsigned char>((uint64_t(text.size()) >> (8 * i)) & 0xff);
  bool ok = std::fwrite(length, 1, 8, file.get()) == 8 &&
            std::fwrite(text.data(), 1, text.size(), file.get()) == text.size();
  uint64_t written = 0;
  static const char zeros[64] = {};
  for (size_t i = 0; ok && i < tensors.size(); ++i) {
    uint64_t gap = offsets[i] - written;
    ok = std::fwrite(zeros, 1, gap, file.get()) == gap;
    size_t count = static_cast<size_t>(numElements(tensors[i].shape));
    ok = ok && (count == 0 ||
                std::fwrite(tensors[i].data, 4, count, file.get()) == count);
    written = offsets[i] + uint64_t(count) * 4;
  }
  if (!ok || std::fclose(file.release()) != 0)
    return Status::failure(path + ": write failed: " + std::strerror(errno));
  return Status::success();
}

} // namespace txc::runtime
