#include "runtime/HeadBlocks.h"

#include <utility>

namespace txc::runtime {
namespace {

// The steps reading each value, in order; returned values read at the end.
struct Readers {
  std::vector<std::vector<size_t>> steps;
  std::vector<bool> returned;

  explicit Readers(const PlanFunction &fn)
      : steps(fn.values.size()), returned(fn.values.size(), false) {
    for (size_t i = 0; i < fn.steps.size(); ++i)
      for (int id : fn.steps[i].operands)
        if (id >= 0)
          steps[id].push_back(i);
    for (int id : fn.results)
      returned[id] = true;
  }
  // Read by at least one step, by nothing else, and not returned.
  bool onlyBySteps(int id) const {
    return !steps[id].empty() && !returned[id];
  }
};

// The head width every split_heads reading `slice`'s result splits into, or
// 0 when they disagree, do not split whole heads, are not returned, or
// something else reads the slice.
int64_t headWidthOf(const PlanFunction &fn, const Readers &readers,
                    const PlanStep &slice) {
  const int64_t size = slice.attrInt("size");
  if (!readers.onlyBySteps(slice.result))
    return 0;
  int64_t width = 0;
  for (size_t r : readers.steps[slice.result]) {
    const PlanStep &split = fn.steps[r];
    const int64_t heads = split.attrInt("heads");
    if (split.kind != OpKind::SplitHeads || heads <= 0 || size % heads != 0 ||
        (width != 0 && width != size / heads) || !readers.returned[split.result])
      return 0;
    width = size / heads;
  }
  return slice.attrInt("offset") % width == 0 ? width : 0;
}

} // namespace

std::vector<int64_t> findHeadBlockedUnpacks(const PlanFunction &fn) {
  std::vector<int64_t> width(fn.steps.size(), 0);
  const Readers readers(fn);
  for (size_t u = 0; u < fn.steps.size(); ++u) {
    const PlanStep &unpack = fn.steps[u];
    if (unpack.kind != OpKind::UnpackRows || unpack.result < 0)
      continue;
    const ValueType &type = fn.values[unpack.result];
    if (type.dtype != DType::F32 || type.shape.size() != 3 ||
        type.shape[2] <= 0 || !readers.onlyBySteps(unpack.result))
      continue;
    int64_t w = 0;
    for (size_t s : readers.steps[unpack.result]) {
      const PlanStep &slice = fn.steps[s];
      int64_t sliceWidth = slice.kind == OpKind::Slice &&
                                   slice.operands[0] == unpack.result
                               ? headWidthOf(fn, readers, slice)
                               : 0;
      w = (w == 0 || w == sliceWidth) ? sliceWidth : 0;
      if (w == 0)
        break;
    }
    if (w == 0 || type.shape[2] % w != 0)
      continue;
    width[u] = w;
    for (size_t s : readers.steps[unpack.result]) {
      width[s] = w;
      for (size_t h : readers.steps[fn.steps[s].result])
        width[h] = w;
    }
  }
  return width;
}

TensorView headBlockedView(const TensorView &dense, int64_t w) {
  const int64_t b = dense.shape[0], s = dense.shape[1], d = dense.shape[2];
  TensorView v = dense;
  v.shape = {b, s, d / w, w};
  v.strides = {s * d, w, s * w, 1};
  return v;
}

TensorView sliceHeadBlocks(const TensorView &blocked, int64_t offset,
                           int64_t size) {
  const int64_t w = blocked.shape[3];
  TensorView v = blocked;
  v.shape[2] = size / w;
  if (blocked.data)
    v.data = blocked.f32() + (offset / w) * blocked.strides[2];
  return v;
}

TensorView splitHeadBlocks(const TensorView &blocked) {
  TensorView v = blocked;
  std::swap(v.shape[1], v.shape[2]);
  std::swap(v.strides[1], v.strides[2]);
  return v;
}

} // namespace txc::runtime
