// Runs one function of a plan (@encode or @decode_step) on tensors: infers
// every value's shape from the arguments, places the values in an arena by
// liveness, binds weights, and runs each step with its kernel or the
// runtime's own implementation. KV caches bound to arguments are read and
// appended in place; slices are views of their operand, copying nothing.
#pragma once

#include "runtime/KernelCall.h"
#include "runtime/KvCache.h"
#include "runtime/MemoryPlan.h"
#include "runtime/Plan.h"
#include "runtime/ScreenedArgmaxCall.h"

#include <map>
#include <memory>
#include <optional>

namespace txc::runtime {

// An argument or result: a tensor, or an index scalar. An argument with a
// `cache` is that cache's view(); a kv_cache_read that is its only use
// reorders the cache in place, and a kv_cache_append onto its latest
// contents writes in place, so results bound to `cache` alias its storage.
struct Binding {
  TensorView tensor;
  int64_t index = 0;
  KvCache *cache = nullptr;

  static Binding ofTensor(TensorView t) { return Binding{std::move(t), 0, nullptr}; }
  static Binding ofIndex(int64_t i) {
    Binding b;
    b.tensor.dtype = DType::Index;
    b.index = i;
    return b;
  }
  static Binding ofCache(KvCache &c) { return Binding{c.view(), 0, &c}; }
};

// Weight tensors by name (WeightFile::tensors(), or in-memory in tests).
using WeightTable = std::map<std::string, TensorView>;

struct StepTime {
  double seconds = 0;
  int64_t calls = 0;
};

enum class StepWork {
  None,    // a weight, a constant, or a view of another value
  Kernel,  // calls its compiled kernel
  Runtime, // runs the runtime's own implementation
};

struct ExecutorOptions {
  // When false every step runs the runtime's own implementation, a baseline
  // to compare kernels against.
  bool useKernels = true;
  // Adds up each step's wall time and calls over every run (stepTimes()).
  bool profile = false;
};

class PlanExecutor {
public:
  // Binds `function`'s weights and kernels. Fails naming the step whose
  // weight is missing from `weights` or has another shape, or whose kernel
  // is not in `kernels`. `function` and the weights must outlive the
  // executor.
  static Status create(const PlanFunction &function, const WeightTable &weights,
                       const KernelTable &kernels, ExecutorOptions options,
                       std::unique_ptr<PlanExecutor> &out);

  // Runs the function. Results stay valid until the next run(): they alias
  // the arena, a weight, an argument or a bound KV cache.
  Status run(const std::vector<Binding> &arguments,
             std::vector<Binding> &results);

  const PlanFunction &function() const { return fn; }
  // Bytes of the arena the last run's memory plan needed.
  int64_t arenaBytes() const { return lastArenaBytes; }
  // Per step, with ExecutorOptions::profile: wall time and calls summed
  // over every run so far; empty otherwise.
  const std::vector<StepTime> &stepTimes() const { return times; }
  // What step `i` does when it runs.
  StepWork stepWork(size_t i) const;

private:
  explicit PlanExecutor(const PlanFunction &function) : fn(function) {}

  // Per value, during one run.
  struct Value {
    TensorView view;
    int64_t index = 0;
    KvCache *cache = nullptr; // the cache the view aliases
    // The arena request holding its data, if it lives there: its own, or
    // for a slice, that of the value it views.
    int requestIndex = -1;
  };

  void findMergedAttention();
  void findWeightScreenLimits();
  Status bindArguments(const std::vector<Binding> &arguments);
  Status inferShapes();
  Status placeInArena();
  Status execute(size_t stepIndex);
  Status runStep(size_t stepIndex, std::vector<Operand> &operands);
  std::string where(size_t stepIndex) const;

  const PlanFunction &fn;
  ExecutorOptions options;
  std::vector<TensorView> weightViews; // per step (Weight steps only)
  std::vector<KernelFn> kernels;       // per step, null: runtime's own
  std::vector<int> uses;               // per value
  std::vector<int> lastUse;            // per value; steps.size() if returned

  std::vector<Value> values;
  std::vector<bool> inPlace; // per step: a KV cache step done in place
  std::vector<size_t> viewSteps; // slices and split_heads: views of their
                                 // operand's data
  std::vector<int> mergedBy;        // per step: the merge_heads an attention
                                    // writes into, or -1
  std::vector<bool> mergesInPlace;  // per step: a merge_heads with no work
  std::vector<std::pair<size_t, size_t>> mergedPairs; // (attention, merge)
  // Per step: the head width an unpack_rows writes in blocks of, and its
  // slices and split_heads view (HeadBlocks.h); 0 for the rest.
  std::vector<int64_t> headBlockWidth;
  std::vector<BufferRequest> requests;
  std::vector<int> requestValue;
  Arena arena;
  std::vector<float> cacheScratch;
  std::vector<std::vector<float>> denseCopies;
  // The approximate logits of a screened linear_argmax step.
  std::vector<float> screenApprox;
  // Per step: a screened linear_argmax's screen limits, when its stats and
  // bias are weights.
  std::vector<std::optional<ScreenLimits>> weightScreenLimits;
  int64_t lastArenaBytes = 0;
  std::vector<StepTime> times;
};

} // namespace txc::runtime
