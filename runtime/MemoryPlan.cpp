#include "runtime/MemoryPlan.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace txc::runtime {

static int64_t alignUp(int64_t v, int64_t alignment) {
  return (v + alignment - 1) / alignment * alignment;
}

MemoryPlan planMemory(const std::vector<BufferRequest> &requests,
                      int64_t alignment) {
  const size_t n = requests.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes)
      return requests[a].bytes > requests[b].bytes;
    return requests[a].first < requests[b].first;
  });

  MemoryPlan plan;
  plan.offsets.assign(n, 0);
  std::vector<size_t> placed;
  std::vector<std::pair<int64_t, int64_t>> busy; // [begin, end) in bytes
  for (size_t r : order) {
    const BufferRequest &req = requests[r];
    busy.clear();
    for (size_t p : placed) {
      const BufferRequest &other = requests[p];
      if (other.last < req.first || req.last < other.first)
        continue;
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + other.bytes);
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + req.bytes <= begin)
        break;
      offset = std::max(offset, alignUp(end, alignment));
    }
    plan.offsets[r] = offset;
    plan.totalBytes = std::max(plan.totalBytes, offset + req.bytes);
    placed.push_back(r);
  }
  plan.totalBytes = alignUp(plan.totalBytes, alignment);
  return plan;
}

void Arena::Free::operator()(uint8_t *p) const { std::free(p); }

uint8_t *Arena::reserve(int64_t bytes) {
  if (bytes <= size && block)
    return block.get();
  int64_t want = alignUp(std::max<int64_t>(bytes, 1), kArenaAlignment);
  // Grow by at least half again, so slowly growing calls (one more decoder
  // position per step) do not reallocate every time.
  want = std::max(want, alignUp(size + size / 2, kArenaAlignment));
  block.reset();
  size = 0;
  void *p = std::aligned_alloc(kArenaAlignment, static_cast<size_t>(want));
  if (!p)
    return nullptr;
  block.reset(static_cast<uint8_t *>(p));
  size = want;
  return block.get();
}

} // namespace txc::runtime
