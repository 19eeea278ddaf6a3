#include "runtime/ThreadPool.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace txc::runtime {
namespace {

// HL_NUM_THREADS when the environment sets it (so the kernels' pool and
// ours agree), else one per core.
int defaultThreads() {
  if (const char *env = std::getenv("HL_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

// Workers wait for a job, take chunks from a shared counter, and report
// when their share is done. One job runs at a time.
class WorkerPool {
public:
  explicit WorkerPool(int threads) {
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  int size() const { return static_cast<int>(workers.size()) + 1; }

  void run(int64_t chunks, const std::function<void(int64_t)> &chunk) {
    std::lock_guard<std::mutex> serial(jobMutex);
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = &chunk;
      total = chunks;
      next = 0;
      pending = chunks;
      ++generation;
    }
    wake.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [this] { return pending == 0; });
    job = nullptr;
  }

private:
  // Runs chunks of the current job until none are left.
  void drain() {
    for (;;) {
      int64_t i;
      const std::function<void(int64_t)> *fn;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (!job || next >= total)
          return;
        i = next++;
        fn = job;
      }
      (*fn)(i);
      std::lock_guard<std::mutex> lock(mutex);
      if (--pending == 0)
        done.notify_all();
    }
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping)
          return;
        seen = generation;
      }
      drain();
    }
  }

  std::vector<std::thread> workers;
  std::mutex jobMutex; // one job at a time
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(int64_t)> *job = nullptr;
  int64_t total = 0, next = 0, pending = 0;
  uint64_t generation = 0;
  bool stopping = false;
};

std::mutex configMutex;
int configuredThreads = 0; // 0 until set or first used
std::unique_ptr<WorkerPool> pool;

thread_local bool insideParallelFor = false;

WorkerPool &sharedPool() {
  std::lock_guard<std::mutex> lock(configMutex);
  if (!pool) {
    if (configuredThreads == 0)
      configuredThreads = defaultThreads();
    pool = std::make_unique<WorkerPool>(configuredThreads);
  }
  return *pool;
}

} // namespace

Status setThreadCount(int threads) {
  if (threads <= 0)
    threads = defaultThreads();
  std::lock_guard<std::mutex> lock(configMutex);
  if (pool && configuredThreads != threads)
    return Status::failure("the thread count is already " +
                           std::to_string(configuredThreads) +
                           " and cannot change once work has started");
  configuredThreads = threads;
  // Halide's runtime reads this once, when its pool first starts.
  setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), /*overwrite=*/1);
  return Status::success();
}

int threadCount() {
  std::lock_guard<std::mutex> lock(configMutex);
  return configuredThreads ? configuredThreads : defaultThreads();
}

void parallelFor(int64_t count, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &body) {
  if (count <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t maxChunks = (count + grain - 1) / grain;
  if (maxChunks <= 1 || insideParallelFor) {
    body(0, count);
    return;
  }
  WorkerPool &workers = sharedPool();
  int64_t chunks = std::min<int64_t>(maxChunks, workers.size());
  if (chunks <= 1) {
    body(0, count);
    return;
  }
  int64_t per = (count + chunks - 1) / chunks;
  workers.run(chunks, [&](int64_t c) {
    bool outer = insideParallelFor;
    insideParallelFor = true;
    int64_t begin = c * per, end = std::min(count, begin + per);
    if (begin < end)
      body(begin, end);
    insideParallelFor = outer;
  });
}

} // namespace txc::runtime
