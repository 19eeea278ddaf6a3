#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <vector>

using namespace txc::runtime;

namespace {

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (int64_t count : {0, 1, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> seen(count);
    parallelFor(count, 3, [&](int64_t begin, int64_t end) {
      EXPECT_LT(begin, end);
      for (int64_t i = begin; i < end; ++i)
        seen[i]++;
    });
    for (int64_t i = 0; i < count; ++i)
      ASSERT_EQ(seen[i].load(), 1) << count << " " << i;
  }
}

TEST(ThreadPool, NestedLoopsRun) {
  std::atomic<int64_t> sum{0};
  parallelFor(10, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallelFor(10, 1, [&](int64_t b2, int64_t e2) {
        for (int64_t j = b2; j < e2; ++j)
          sum += i * 10 + j;
      });
  });
  EXPECT_EQ(sum.load(), 99 * 100 / 2);
}

TEST(ThreadPool, CountIsFixedOnceWorkStarted) {
  parallelFor(100, 1, [](int64_t, int64_t) {});
  int n = threadCount();
  EXPECT_TRUE(setThreadCount(n).ok());
  Status s = setThreadCount(n + 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot change"), std::string::npos);
  EXPECT_EQ(std::atoi(std::getenv("HL_NUM_THREADS")), n);
}

} // namespace
