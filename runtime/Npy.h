// Writes float32 arrays as NumPy .npy files (format version 1.0), the format
// --dump-logits and --dump-encoder produce for comparison with PyTorch.
#pragma once

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace txc::runtime {

// The complete header (magic, version, length, dict) of a little-endian,
// C-order float32 array of `shape`, padded with spaces and a final newline
// so the data starts at a multiple of 64 bytes.
std::string npyFloat32Header(const std::vector<int64_t> &shape);

// Writes `data` (product(shape) values, row-major) to `path`; fails with a
// message naming the file if it cannot be written.
Status writeNpyFloat32(const std::string &path,
                       const std::vector<int64_t> &shape, const float *data);

} // namespace txc::runtime
