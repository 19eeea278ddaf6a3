// Where the real tokens of a padded batch go when txc.pack_rows lays them
// one after another: sequence i keeps its first lengths[i] positions
// (clamped to [0, seq]), starting at packed row sum of the earlier counts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace txc::runtime {

// The positions of a sequence of `length` tokens that are packed.
inline int64_t packedCount(int32_t length, int64_t seq) {
  return std::clamp<int64_t>(length, 0, seq);
}

// The first packed row of each sequence, then the total: batch + 1 entries.
inline std::vector<int64_t> packedOffsets(const int32_t *lengths,
                                          int64_t batch, int64_t seq) {
  std::vector<int64_t> offsets(batch + 1, 0);
  for (int64_t i = 0; i < batch; ++i)
    offsets[i + 1] = offsets[i] + packedCount(lengths[i], seq);
  return offsets;
}

} // namespace txc::runtime
