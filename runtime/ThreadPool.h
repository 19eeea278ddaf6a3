// The process's one pool of threads, sized by its one thread setting
// (--threads): the runtime's parallel loops and, once a kernel has been
// called, the Halide kernels' parallel loops run on it.
#pragma once

#include "runtime/Status.h"

#include <cstdint>
#include <functional>

namespace txc::runtime {

// Sets the thread count for the rest of the process: the pool is sized by
// it, and HL_NUM_THREADS is set to it for a Halide pool the runtime does not
// replace (a kernel called outside it). `threads` <= 0 means the default:
// HL_NUM_THREADS if the environment sets it, else one per core. Fails if a
// different count was already set and used.
Status setThreadCount(int threads);

// The count the runtime uses (set, or the default).
int threadCount();

// Runs task(i) for every i in [0, count), each on whichever of the
// threadCount() threads (the caller is one) claims it next; returns when all
// are done. Nested calls run serially on the calling thread. Needs
// count < 2^31.
void runTasks(int64_t count, const std::function<void(int64_t)> &task);

// Runs body(begin, end) over [0, count) split into contiguous chunks of at
// least `grain` items, on up to threadCount() threads (the caller is one of
// them); returns when all are done. Nested calls run serially.
void parallelFor(int64_t count, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &body);

} // namespace txc::runtime
