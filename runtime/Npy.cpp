#include "runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace txc::runtime {

std::string npyFloat32Header(const std::vector<int64_t> &shape) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  // A one-element tuple keeps its comma; longer ones drop the trailing one.
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  else if (shape.size() == 1)
    dims.pop_back();
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";

  const size_t prefix = 10; // magic (6) + version (2) + header length (2)
  size_t total = prefix + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict.push_back('\n');

  std::string header("\x93NUMPY\x01\x00", 8);
  header.push_back(static_cast<char>(dict.size() & 0xff));
  header.push_back(static_cast<char>((dict.size() >> 8) & 0xff));
  return header + dict;
}

Status writeNpyFloat32(const std::string &path,
                       const std::vector<int64_t> &shape, const float *data) {
  size_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return Status::failure(path + ": negative dimension in array shape");
    count *= static_cast<size_t>(d);
  }
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "wb"),
                                              &std::fclose);
  if (!file)
    return Status::failure(
        path + ": cannot open for writing: " + std::strerror(errno));
  std::string header = npyFloat32Header(shape);
  // x86-64 and AArch64 Linux are little-endian, as '<f4' states.
  bool written = std::fwrite(header.data(), 1, header.size(), file.get()) ==
                     header.size() &&
                 (count == 0 ||
                  std::fwrite(data, sizeof(float), count, file.get()) == count);
  if (!written || std::fclose(file.release()) != 0)
    return Status::failure(path + ": write failed: " + std::strerror(errno));
  return Status::success();
}

} // namespace txc::runtime
