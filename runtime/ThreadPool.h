// The runtime's parallel loops, and the process's one thread setting
// (--threads), which also sizes the Halide kernels' thread pool.
#pragma once

#include "runtime/Status.h"

#include <cstdint>
#include <functional>

namespace txc::runtime {

// Sets the thread count for the rest of the process: the runtime's own
// loops use it and HL_NUM_THREADS is set for the kernels' pool, which reads
// it when the first kernel runs. `threads` <= 0 means the default:
// HL_NUM_THREADS if the environment sets it, else one per core. Fails if a
// different count was already set and used.
Status setThreadCount(int threads);

// The count the runtime uses (set, or the default).
int threadCount();

// Runs body(begin, end) over [0, count) split into contiguous chunks of at
// least `grain` items, on up to threadCount() threads (the caller is one of
// them); returns when all are done. Nested calls run serially.
void parallelFor(int64_t count, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &body);

} // namespace txc::runtime
