#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
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

TEST(ThreadPool, RunTasksRunsEachTaskOnce) {
  for (int64_t count : {0, 1, 2, 33, 1000}) {
    std::vector<std::atomic<int>> seen(count);
    runTasks(count, [&](int64_t i) { seen[i]++; });
    for (int64_t i = 0; i < count; ++i)
      ASSERT_EQ(seen[i].load(), 1) << count << " " << i;
  }
}

// Jobs back to back: a worker still leaving one job must not claim, or
// run, a task of the next one twice or with the old job's function.
TEST(ThreadPool, BackToBackJobsKeepTheirTasksApart) {
  constexpr int kJobs = 200000;
  std::vector<int64_t> sums(kJobs);
  for (int job = 0; job < kJobs; ++job) {
    std::atomic<int64_t> sum{0};
    runTasks(1 + job % 5, [&](int64_t i) { sum += (job + 1) * (i + 1); });
    sums[job] = sum.load();
  }
  for (int job = 0; job < kJobs; ++job) {
    int64_t n = 1 + job % 5;
    ASSERT_EQ(sums[job], (job + 1) * n * (n + 1) / 2) << job;
  }
}

// A job that comes after the workers have gone to sleep still runs all of
// its tasks (a lost wake-up would leave it waiting for ever).
TEST(ThreadPool, JobsAfterAnIdlePauseRun) {
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    std::atomic<int> ran{0};
    runTasks(64, [&](int64_t) { ran++; });
    ASSERT_EQ(ran.load(), 64) << round;
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
