#include "runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace txc::runtime {
namespace {

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a worker looks for the next job before it sleeps, and how many
// pauses the caller spends waiting for a job's last tasks before yielding.
constexpr auto kIdleSpinTime = std::chrono::microseconds(500);
constexpr int kPausesBeforeYield = 1 << 14;

// HL_NUM_THREADS when the environment sets it (the variable users know from
// Halide), else one per core.
int defaultThreads() {
  if (const char *env = std::getenv("HL_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

// Workers wait for a job and claim its tasks one at a time from a shared
// counter. A kernel call lasts tens of microseconds in a decode step, so an
// idle worker spins for a while before it sleeps: waking a sleeping thread
// costs about as much as the call itself. One job runs at a time.
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

  void run(int64_t tasks, const std::function<void(int64_t)> &task) {
    std::lock_guard<std::mutex> serial(jobMutex);
    // Each job takes two epochs. The first closes the counter before the
    // job's fields change, so a worker that read the last job's claim word
    // cannot claim with it once it may read this job's fields.
    uint64_t epoch = (claims.load(std::memory_order_relaxed) >> 32) + 2;
    claims.store(((epoch - 1) << 32) | kNoTask);
    job.store(&task, std::memory_order_relaxed);
    total.store(tasks, std::memory_order_relaxed);
    pending.store(tasks, std::memory_order_relaxed);
    // seq_cst, paired with the sleeper count: a worker going to sleep
    // either sees this epoch or is seen asleep and woken.
    claims.store(epoch << 32);
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex);
      wake.notify_all();
    }
    drain(epoch);
    for (int spins = 0; pending.load(std::memory_order_acquire) > 0; ++spins)
      pauseOrYield(spins);
  }

private:
  static void pauseOrYield(int spins) {
    if (spins < kPausesBeforeYield)
      cpuRelax();
    else
      std::this_thread::yield();
  }

  // Runs tasks of job `epoch` until none are left. A claim succeeds only
  // while the claim word is unchanged, the word is closed before a job's
  // fields change, and a job cannot end while a claimed task runs: so the
  // fields read here belong to the claimed task's job.
  void drain(uint64_t epoch) {
    for (;;) {
      uint64_t claim = claims.load(std::memory_order_acquire);
      int64_t index = int64_t(claim & 0xffffffffu);
      if ((claim >> 32) != epoch ||
          index >= total.load(std::memory_order_relaxed))
        return;
      if (!claims.compare_exchange_weak(claim, claim + 1,
                                        std::memory_order_acq_rel))
        continue;
      (*job.load(std::memory_order_relaxed))(index);
      pending.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      uint64_t epoch = claims.load(std::memory_order_acquire) >> 32;
      auto until = std::chrono::steady_clock::now() + kIdleSpinTime;
      for (int spins = 1; epoch == seen; ++spins) {
        cpuRelax();
        epoch = claims.load(std::memory_order_acquire) >> 32;
        if (spins % 256 == 0 && std::chrono::steady_clock::now() > until)
          break;
      }
      if (epoch == seen) {
        std::unique_lock<std::mutex> lock(mutex);
        sleepers.fetch_add(1);
        wake.wait(lock, [&] {
          epoch = claims.load() >> 32;
          return stopping || epoch != seen;
        });
        sleepers.fetch_sub(1);
        if (stopping)
          return;
      }
      seen = epoch;
      drain(epoch);
    }
  }

  std::vector<std::thread> workers;
  std::mutex jobMutex; // one job at a time
  std::mutex mutex;    // guards sleeping and stopping
  std::condition_variable wake;
  // The current job's epoch (high 32 bits) and its next unclaimed task;
  // kNoTask while the job's fields are being set.
  static constexpr uint64_t kNoTask = 0xffffffffu;
  std::atomic<uint64_t> claims{0};
  std::atomic<const std::function<void(int64_t)> *> job{nullptr};
  std::atomic<int64_t> total{0}, pending{0};
  std::atomic<int> sleepers{0};
  bool stopping = false;
};

std::mutex configMutex;
int configuredThreads = 0; // 0 until set or first used
std::unique_ptr<WorkerPool> pool;
// The pool once made, read without the mutex: every kernel's parallel loop
// looks it up.
std::atomic<WorkerPool *> madePool{nullptr};

thread_local bool insideParallelFor = false;

WorkerPool &sharedPool() {
  if (WorkerPool *made = madePool.load(std::memory_order_acquire))
    return *made;
  std::lock_guard<std::mutex> lock(configMutex);
  if (!pool) {
    if (configuredThreads == 0)
      configuredThreads = defaultThreads();
    pool = std::make_unique<WorkerPool>(configuredThreads);
    madePool.store(pool.get(), std::memory_order_release);
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

void runTasks(int64_t count, const std::function<void(int64_t)> &task) {
  if (count <= 0)
    return;
  WorkerPool *workers =
      count > 1 && !insideParallelFor ? &sharedPool() : nullptr;
  if (!workers || workers->size() == 1) {
    for (int64_t i = 0; i < count; ++i)
      task(i);
    return;
  }
  workers->run(count, [&](int64_t i) {
    bool outer = insideParallelFor;
    insideParallelFor = true;
    task(i);
    insideParallelFor = outer;
  });
}

void parallelFor(int64_t count, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &body) {
  if (count <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t threads = insideParallelFor ? 1 : sharedPool().size();
  int64_t chunks = std::min<int64_t>((count + grain - 1) / grain, threads);
  int64_t per = (count + chunks - 1) / chunks;
  runTasks(chunks, [&](int64_t c) {
    int64_t begin = c * per, end = std::min(count, begin + per);
    if (begin < end)
      body(begin, end);
  });
}

} // namespace txc::runtime
