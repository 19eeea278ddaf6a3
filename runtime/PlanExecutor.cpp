#include "runtime/PlanExecutor.h"

#include "runtime/HeadBlocks.h"
#include "runtime/PlanVerifier.h"
#include "runtime/ScreenedArgmaxCall.h"
#include "runtime/ShapeInference.h"

#include <chrono>

namespace txc::runtime {

namespace {

// Per value: the step that defines it, or -1 (an argument).
std::vector<int> producerSteps(const PlanFunction &fn) {
  std::vector<int> producer(fn.values.size(), -1);
  for (size_t i = 0; i < fn.steps.size(); ++i)
    producer[fn.steps[i].result] = static_cast<int>(i);
  return producer;
}

} // namespace

Status PlanExecutor::create(const PlanFunction &function,
                            const WeightTable &weights,
                            const KernelTable &kernelTable,
                            ExecutorOptions options,
                            std::unique_ptr<PlanExecutor> &out) {
  if (Status s = verifyPlanFunction(function, "plan"); !s.ok())
    return s;
  std::unique_ptr<PlanExecutor> e(new PlanExecutor(function));
  e->options = options;
  const size_t steps = function.steps.size();
  e->weightViews.resize(steps);
  e->kernels.assign(steps, nullptr);
  e->uses.assign(function.values.size(), 0);
  e->lastUse.assign(function.values.size(), -1);
  for (size_t i = 0; i < steps; ++i) {
    const PlanStep &step = function.steps[i];
    for (int id : step.operands) {
      if (id < 0)
        continue;
      ++e->uses[id];
      e->lastUse[id] = static_cast<int>(i);
    }
    if (step.kind == OpKind::Weight) {
      std::string name = step.attrString("name");
      auto it = weights.find(name);
      const Dims &shape = function.values[step.result].shape;
      if (it == weights.end())
        return Status::failure(e->where(i) + ": weight '" + name +
                               "' is not in the weight file");
      DType expected = function.values[step.result].dtype;
      if (it->second.dtype != expected || it->second.shape != shape)
        return Status::failure(e->where(i) + ": weight '" + name + "' is " +
                               dtypeName(it->second.dtype) +
                               formatDims(it->second.shape) +
                               ", the plan expects " + dtypeName(expected) +
                               formatDims(shape));
      e->weightViews[i] = it->second;
    }
    if (step.kernel.empty())
      continue;
    if (isRuntimeOnly(step.kind))
      return Status::failure(e->where(i) + ": names kernel '" + step.kernel +
                             "', but the runtime always runs " +
                             opKindName(step.kind) + " itself");
    auto it = kernelTable.find(step.kernel);
    if (it == kernelTable.end() || !it->second)
      return Status::failure(e->where(i) + ": kernel '" + step.kernel +
                             "' is not in the kernel table");
    e->kernels[i] = it->second;
  }
  e->findMergedAttention();
  e->findWeightScreenLimits();
  e->headBlockWidth = findHeadBlockedUnpacks(function);
  for (int id : function.results) {
    ++e->uses[id];
    e->lastUse[id] = static_cast<int>(steps);
  }
  out = std::move(e);
  return Status::success();
}

// An attention whose only reader is a merge_heads writes straight into the
// merged tensor, through a [b, h, s, dh] view of it: the merge copies
// nothing. Function results are never merged this way (they are read after
// the run, with uses counted below).
void PlanExecutor::findMergedAttention() {
  mergedBy.assign(fn.steps.size(), -1);
  mergesInPlace.assign(fn.steps.size(), false);
  mergedPairs.clear();
  const std::vector<int> producer = producerSteps(fn);
  std::vector<bool> returned(fn.values.size(), false);
  for (int id : fn.results)
    returned[id] = true;
  for (size_t j = 0; j < fn.steps.size(); ++j) {
    const PlanStep &merge = fn.steps[j];
    if (merge.kind != OpKind::MergeHeads || merge.operands.empty())
      continue;
    int input = merge.operands[0];
    int i = input >= 0 ? producer[input] : -1;
    if (i < 0 || fn.steps[i].kind != OpKind::Attention || uses[input] != 1 ||
        returned[input])
      continue;
    mergedBy[i] = static_cast<int>(j);
    mergesInPlace[j] = true;
    mergedPairs.push_back({static_cast<size_t>(i), j});
  }
}

// A screened linear_argmax whose stats and bias are weights gets their
// limits once here rather than on every decode step.
void PlanExecutor::findWeightScreenLimits() {
  weightScreenLimits.assign(fn.steps.size(), std::nullopt);
  const std::vector<int> producer = producerSteps(fn);
  auto weightOf = [&](int value) -> const TensorView * {
    int p = value >= 0 ? producer[value] : -1;
    return p >= 0 && fn.steps[p].kind == OpKind::Weight ? &weightViews[p]
                                                        : nullptr;
  };
  for (size_t i = 0; i < fn.steps.size(); ++i) {
    const PlanStep &step = fn.steps[i];
    if (step.kind != OpKind::LinearArgmax || !kernels[i])
      continue;
    const TensorView *stats = weightOf(step.operands[5]);
    const TensorView *bias = weightOf(step.operands[3]);
    if (stats && (bias || step.operands[3] < 0))
      weightScreenLimits[i] = screenLimitsOf(*stats, bias);
  }
}

std::string PlanExecutor::where(size_t stepIndex) const {
  return describeStep(fn, stepIndex);
}

Status PlanExecutor::bindArguments(const std::vector<Binding> &arguments) {
  if (arguments.size() != fn.arguments.size())
    return Status::failure(fn.name + " takes " +
                           std::to_string(fn.arguments.size()) +
                           " arguments, got " +
                           std::to_string(arguments.size()));
  for (size_t a = 0; a < arguments.size(); ++a) {
    const ValueType &type = fn.values[fn.arguments[a]];
    Value &v = values[fn.arguments[a]];
    const Binding &b = arguments[a];
    v.cache = b.cache;
    v.view = b.cache ? b.cache->view() : b.tensor;
    v.index = b.index;
    bool fits = v.view.dtype == type.dtype &&
                (type.dtype == DType::Index ||
                 (v.view.shape.size() == type.shape.size() &&
                  v.view.strides.size() == type.shape.size()));
    for (size_t d = 0; fits && d < type.shape.size(); ++d)
      fits = type.shape[d] < 0 || type.shape[d] == v.view.shape[d];
    if (!fits)
      return Status::failure(fn.name + " argument " + std::to_string(a) +
                             " is " + dtypeName(v.view.dtype) +
                             formatDims(v.view.shape) + ", expected " +
                             dtypeName(type.dtype) + formatDims(type.shape));
    if (type.dtype != DType::Index && !v.view.data && v.view.numel() > 0)
      return Status::failure(fn.name + " argument " + std::to_string(a) +
                             " has no data");
  }
  return Status::success();
}

Status PlanExecutor::inferShapes() {
  const size_t steps = fn.steps.size();
  inPlace.assign(steps, false);
  viewSteps.clear();
  requests.clear();
  requestValue.clear();
  std::map<KvCache *, int64_t> plannedLength;
  std::map<KvCache *, bool> reordered;
  for (int id : fn.arguments)
    if (KvCache *c = values[id].cache)
      plannedLength[c] = c->length();

  std::vector<const Dims *> shapes;
  for (size_t i = 0; i < steps; ++i) {
    const PlanStep &step = fn.steps[i];
    Value &result = values[step.result];
    if (step.kind == OpKind::Weight) {
      result.view = weightViews[i];
      continue;
    }
    if (step.kind == OpKind::Constant) {
      result.view.dtype = DType::Index;
      result.index = step.attrInt("value");
      continue;
    }
    const Value *cacheOperand =
        step.operands.empty() ? nullptr : &values[step.operands[0]];
    KvCache *cache = cacheOperand ? cacheOperand->cache : nullptr;
    if (cache && step.kind == OpKind::KvCacheRead &&
        uses[step.operands[0]] == 1 && !reordered[cache]) {
      reordered[cache] = true;
      inPlace[i] = true;
      result.cache = cache;
      result.view = cacheOperand->view;
      result.view.shape[0] = values[step.operands[1]].view.shape[0];
      continue;
    }
    if (cache && step.kind == OpKind::KvCacheAppend) {
      const TensorView &past = cacheOperand->view;
      const Dims &update = values[step.operands[1]].view.shape;
      if (past.shape[2] == plannedLength[cache] && update.size() == 4 &&
          past.shape[2] + update[2] <= cache->capacity()) {
        inPlace[i] = true;
        result.cache = cache;
        result.view = past;
        result.view.shape[2] += update[2];
        plannedLength[cache] = result.view.shape[2];
        continue;
      }
    }

    shapes.clear();
    for (int id : step.operands)
      shapes.push_back(id < 0 ? nullptr : &values[id].view.shape);
    Dims shape;
    auto indexValue = [&](int o) { return values[step.operands[o]].index; };
    auto i32Data = [&](int o) -> const int32_t * {
      const TensorView &t = values[step.operands[o]].view;
      return t.dtype == DType::I32 && t.data && t.isDense() ? t.i32() : nullptr;
    };
    if (Status s = inferShape(step, shapes, indexValue, shape, i32Data);
        !s.ok())
      return Status::failure(where(i) + ": " + s.message());
    const Dims &declared = fn.values[step.result].shape;
    bool fits = declared.size() == shape.size();
    for (size_t d = 0; fits && d < shape.size(); ++d)
      fits = declared[d] < 0 || declared[d] == shape[d];
    if (!fits)
      return Status::failure(where(i) + ": result " + formatDims(shape) +
                             " does not match the plan's " +
                             formatDims(declared));
    if (mergesInPlace[i]) {
      // The attention before it already wrote this tensor.
      const Value &heads = values[step.operands[0]];
      result.view = TensorView(DType::F32, std::move(shape), nullptr);
      result.requestIndex = heads.requestIndex;
      continue;
    }
    if (step.kind == OpKind::Slice || step.kind == OpKind::SplitHeads) {
      // A view of the operand: its data (placed with the arena) must live
      // as long as the view is read. Its readers take strided tensors
      // (or get a dense copy: runStep, callKernel).
      if (values[step.operands[0]].view.strides.back() != 1 &&
          step.kind == OpKind::SplitHeads)
        return Status::failure(where(i) + ": split_heads needs a contiguous "
                               "innermost axis");
      const Value &source = values[step.operands[0]];
      result.view = source.view;
      result.view.shape = std::move(shape);
      result.view.data = nullptr;
      result.requestIndex = source.requestIndex;
      if (source.requestIndex >= 0) {
        int &last = requests[source.requestIndex].last;
        last = std::max(last, lastUse[step.result]);
      }
      viewSteps.push_back(i);
      continue;
    }
    result.view = TensorView(resultType(step.kind), std::move(shape), nullptr);
    result.requestIndex = static_cast<int>(requests.size());
    int last = std::max(lastUse[step.result], static_cast<int>(i));
    if (mergedBy[i] >= 0)
      last = std::max(last, lastUse[fn.steps[mergedBy[i]].result]);
    requests.push_back({result.view.numel() * 4, static_cast<int>(i), last});
    requestValue.push_back(step.result);
  }
  return Status::success();
}

Status PlanExecutor::placeInArena() {
  MemoryPlan plan = planMemory(requests);
  uint8_t *base = arena.reserve(plan.totalBytes);
  if (!base)
    return Status::failure(fn.name + ": cannot allocate an arena of " +
                           std::to_string(plan.totalBytes) + " bytes");
  lastArenaBytes = plan.totalBytes;
  for (size_t r = 0; r < requests.size(); ++r)
    values[requestValue[r]].view.data = base + plan.offsets[r];
  for (auto [attentionStep, mergeStep] : mergedPairs) {
    TensorView &heads = values[fn.steps[attentionStep].result].view;
    TensorView &merged = values[fn.steps[mergeStep].result].view;
    merged.data = heads.data;
    heads = splitHeadsView(merged, heads.shape[1]);
  }
  for (size_t i = 0; i < fn.steps.size(); ++i)
    if (fn.steps[i].kind == OpKind::UnpackRows && headBlockWidth[i] > 0) {
      TensorView &unpacked = values[fn.steps[i].result].view;
      unpacked = headBlockedView(unpacked, headBlockWidth[i]);
    }
  // In step order, so a view of a view sees its operand's data.
  for (size_t i : viewSteps) {
    const PlanStep &step = fn.steps[i];
    const TensorView &source = values[step.operands[0]].view;
    const bool slice = step.kind == OpKind::Slice;
    const int64_t offset = slice ? step.attrInt("offset") : 0,
                  size = slice ? step.attrInt("size") : 0;
    values[step.result].view =
        headBlockWidth[i] > 0
            ? (slice ? sliceHeadBlocks(source, offset, size)
                     : splitHeadBlocks(source))
            : (slice ? sliceLastAxis(source, offset, size)
                     : splitHeadsView(source, step.attrInt("heads")));
  }
  return Status::success();
}

Status PlanExecutor::runStep(size_t i, std::vector<Operand> &operands) {
  const PlanStep &step = fn.steps[i];
  const Value &result = values[step.result];
  if (inPlace[i]) {
    KvCache &cache = *result.cache;
    const TensorView &second = operands[1].tensor;
    return step.kind == OpKind::KvCacheRead
               ? cache.reorder(second.i32(), second.shape[0], cacheScratch)
               : cache.append(second);
  }
  if (kernels[i] && options.useKernels)
    return step.kind == OpKind::LinearArgmax
               ? callScreenedArgmax(kernels[i], step, operands, result.view,
                                    screenApprox,
                                    weightScreenLimits[i]
                                        ? &*weightScreenLimits[i]
                                        : nullptr)
               : callKernel(kernels[i], step, operands, result.view);
  // The runtime's implementations read dense operands, or strided ones
  // with a contiguous innermost dim for the kinds that allow it.
  size_t copies = 0;
  for (Operand &o : operands) {
    TensorView &t = o.tensor;
    if (!o.present || t.dtype == DType::Index || t.isDense())
      continue;
    bool innerContiguous = t.strides.back() == 1;
    if (builtinReadsStrided(step.kind) && innerContiguous)
      continue;
    if (denseCopies.size() <= copies)
      denseCopies.emplace_back();
    denseCopies[copies].resize(t.numel());
    copyToDense(t, denseCopies[copies].data());
    t = TensorView(t.dtype, t.shape, denseCopies[copies].data());
    ++copies;
  }
  return runBuiltin(step, operands, result.view);
}

StepWork PlanExecutor::stepWork(size_t i) const {
  const PlanStep &step = fn.steps[i];
  if (step.kind == OpKind::Weight || step.kind == OpKind::Constant ||
      step.kind == OpKind::Slice || step.kind == OpKind::SplitHeads ||
      mergesInPlace[i])
    return StepWork::None;
  return kernels[i] && options.useKernels && !inPlace[i] ? StepWork::Kernel
                                                          : StepWork::Runtime;
}

Status PlanExecutor::execute(size_t i) {
  const PlanStep &step = fn.steps[i];
  if (stepWork(i) == StepWork::None)
    return Status::success();
  std::vector<Operand> operands(step.operands.size());
  for (size_t o = 0; o < step.operands.size(); ++o) {
    int id = step.operands[o];
    if (id < 0)
      continue;
    operands[o].present = true;
    operands[o].tensor = values[id].view;
    operands[o].index = values[id].index;
  }
  if (Status s = runStep(i, operands); !s.ok())
    return Status::failure(where(i) + ": " + s.message());
  return Status::success();
}

Status PlanExecutor::run(const std::vector<Binding> &arguments,
                         std::vector<Binding> &results) {
  values.assign(fn.values.size(), Value());
  if (Status s = bindArguments(arguments); !s.ok())
    return s;
  if (Status s = inferShapes(); !s.ok())
    return s;
  if (Status s = placeInArena(); !s.ok())
    return s;
  if (options.profile && times.empty())
    times.assign(fn.steps.size(), StepTime());
  for (size_t i = 0; i < fn.steps.size(); ++i) {
    std::chrono::steady_clock::time_point start;
    if (options.profile)
      start = std::chrono::steady_clock::now();
    if (Status s = execute(i); !s.ok())
      return s;
    if (options.profile) {
      times[i].seconds += std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count();
      ++times[i].calls;
    }
  }
  results.clear();
  for (int id : fn.results) {
    const Value &v = values[id];
    results.push_back(Binding{v.view, v.index, v.cache});
  }
  return Status::success();
}

} // namespace txc::runtime
