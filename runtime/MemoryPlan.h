// Places the values of one function call in a single arena: each value
// lives from the step that defines it to its last use, and values whose
// lifetimes do not overlap may share bytes, which keeps peak memory low.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace txc::runtime {

struct BufferRequest {
  int64_t bytes = 0;
  int first = 0; // the step that writes it
  int last = 0;  // the last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<int64_t> offsets; // one per request, multiples of `alignment`
  int64_t totalBytes = 0;
};

inline constexpr int64_t kArenaAlignment = 64;

// First fit: requests are placed largest first, each at the lowest aligned
// offset that overlaps no placed request whose lifetime overlaps its own.
MemoryPlan planMemory(const std::vector<BufferRequest> &requests,
                      int64_t alignment = kArenaAlignment);

// A 64-byte aligned block that grows to the largest size asked for and is
// reused by later calls. Growing does not keep the old contents.
class Arena {
public:
  // Returns a block of at least `bytes`, or null if it cannot be allocated.
  uint8_t *reserve(int64_t bytes);
  // The block reserve() returned last (null before the first call).
  uint8_t *data() const { return block.get(); }
  int64_t capacity() const { return size; }

private:
  struct Free {
    void operator()(uint8_t *p) const;
  };
  std::unique_ptr<uint8_t, Free> block;
  int64_t size = 0;
};

} // namespace txc::runtime
