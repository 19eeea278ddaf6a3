#include "runtime/MemoryPlan.h"

#include <gtest/gtest.h>

using namespace txc::runtime;

namespace {

bool overlaps(const MemoryPlan &plan, const std::vector<BufferRequest> &r,
              size_t a, size_t b) {
  return plan.offsets[a] < plan.offsets[b] + r[b].bytes &&
         plan.offsets[b] < plan.offsets[a] + r[a].bytes;
}

TEST(MemoryPlan, DisjointLifetimesShareMemory) {
  std::vector<BufferRequest> r = {{1000, 0, 1}, {1000, 2, 3}};
  MemoryPlan plan = planMemory(r);
  EXPECT_EQ(plan.offsets[0], plan.offsets[1]);
  EXPECT_EQ(plan.totalBytes, 1024);
}

TEST(MemoryPlan, OverlappingLifetimesDoNot) {
  // The output of step 1 is written while its input (used at step 1) lives.
  std::vector<BufferRequest> r = {{1000, 0, 1}, {1000, 1, 2}, {10, 1, 1}};
  MemoryPlan plan = planMemory(r);
  for (size_t a = 0; a < r.size(); ++a)
    for (size_t b = a + 1; b < r.size(); ++b)
      EXPECT_FALSE(overlaps(plan, r, a, b)) << a << " " << b;
  for (int64_t o : plan.offsets)
    EXPECT_EQ(o % kArenaAlignment, 0);
}

TEST(MemoryPlan, FirstFitFillsGaps) {
  // A chain x0 -> x1 -> ... where each value lives two steps: two slots
  // suffice however long the chain.
  std::vector<BufferRequest> r;
  for (int i = 0; i < 20; ++i)
    r.push_back({4096, i, i + 1});
  MemoryPlan plan = planMemory(r);
  EXPECT_EQ(plan.totalBytes, 2 * 4096);
  for (size_t i = 0; i + 1 < r.size(); ++i)
    EXPECT_FALSE(overlaps(plan, r, i, i + 1));
}

TEST(MemoryPlan, NoOverlapInRandomPlans) {
  std::vector<BufferRequest> r;
  unsigned seed = 1;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < 200; ++i) {
    int first = next() % 100;
    r.push_back({int64_t(next() % 5000 + 1), first, first + int(next() % 20)});
  }
  MemoryPlan plan = planMemory(r);
  int64_t sum = 0;
  for (size_t a = 0; a < r.size(); ++a) {
    sum += r[a].bytes;
    EXPECT_LE(plan.offsets[a] + r[a].bytes, plan.totalBytes);
    for (size_t b = a + 1; b < r.size(); ++b) {
      if (!(r[a].last < r[b].first || r[b].last < r[a].first)) {
        ASSERT_FALSE(overlaps(plan, r, a, b)) << a << " " << b;
      }
    }
  }
  EXPECT_LT(plan.totalBytes, sum / 2);
}

TEST(Arena, ReusesAndGrows) {
  Arena arena;
  uint8_t *a = arena.reserve(1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kArenaAlignment, 0u);
  EXPECT_EQ(arena.reserve(500), a);
  EXPECT_EQ(arena.reserve(1000), a);
  uint8_t *b = arena.reserve(100000);
  ASSERT_NE(b, nullptr);
  EXPECT_GE(arena.capacity(), 100000);
}

} // namespace
