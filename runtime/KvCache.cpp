#include "runtime/KvCache.h"

#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cstring>

namespace txc::runtime {

Status KvCache::reset(int64_t rows, int64_t rowCap, int64_t h,
                      int64_t capacity, int64_t dim) {
  if (rows < 0 || rows > rowCap || h < 1 || capacity < 0 || dim < 1)
    return Status::failure("invalid KV cache size: " + std::to_string(rows) +
                           " of " + std::to_string(rowCap) + " rows, " +
                           std::to_string(h) + " heads, " +
                           std::to_string(capacity) + " positions, " +
                           std::to_string(dim) + " features");
  // Left uninitialised: only the positions written are ever read.
  int64_t bytes = rowCap * h * capacity * dim * 4;
  storage = reinterpret_cast<float *>(memory.reserve(bytes));
  if (!storage)
    return Status::failure("cannot allocate a KV cache of " +
                           std::to_string(bytes) + " bytes");
  writer.resize(rowCap * capacity);
  rowCount = rows;
  rowCapacity = rowCap;
  heads = h;
  positionCapacity = capacity;
  headDim = dim;
  positions = 0;
  touched = 0;
  moved = 0;
  movedPositions = 0;
  return Status::success();
}

void KvCache::touchAhead(int64_t needed) {
  if (needed <= touched)
    return;
  const int64_t from = touched;
  touched = std::min(positionCapacity, needed + kTouchAhead);
  const int64_t pageFloats = kPageBytes / int64_t(sizeof(float));
  parallelFor(rowCount, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      // One write per page of positions [from, touched): the first, then
      // each page boundary after it. Those positions are not yet written.
      float *first = at(r, from), *last = at(r, touched);
      *static_cast<volatile float *>(first) = 0.0f;
      uintptr_t page = (reinterpret_cast<uintptr_t>(first) / kPageBytes + 1) *
                       kPageBytes;
      for (float *p = reinterpret_cast<float *>(page); p < last;
           p += pageFloats)
        *static_cast<volatile float *>(p) = 0.0f;
    }
  });
}

TensorView KvCache::view() const {
  TensorView v;
  v.dtype = DType::F32;
  v.shape = {rowCount, heads, positions, headDim};
  v.strides = {rowStride(), headDim, positionStride(), 1};
  v.data = storage;
  return v;
}

void KvCache::copyPositions(const float *fromRow, float *toRow,
                            int64_t first) const {
  const int64_t offset = first * positionStride();
  std::memcpy(toRow + offset, fromRow + offset,
              (positions - first) * positionStride() * sizeof(float));
}

int64_t KvCache::firstUnshared(const int32_t *a, const int32_t *b) const {
  int64_t p = 0;
  while (p < positions && a[p] == b[p])
    ++p;
  return p;
}

void KvCache::markRowsAsOwnWriters() {
  for (int64_t r = 0; r < rowCount; ++r)
    for (int64_t p = 0; p < positions; ++p)
      writer[r * positionCapacity + p] = int32_t(r);
}

Status KvCache::reorder(const int32_t *origin, int64_t count,
                        std::vector<float> &scratch) {
  if (count < 0 || count > rowCapacity)
    return Status::failure("KV cache reorder to " + std::to_string(count) +
                           " rows exceeds its " + std::to_string(rowCapacity));
  for (int64_t i = 0; i < count; ++i)
    if (origin[i] < 0 || origin[i] >= rowCount)
      return Status::failure("origin row " + std::to_string(origin[i]) +
                             " is outside the cache's " +
                             std::to_string(rowCount) + " rows");
  // The writers of each held row before any is overwritten, `positions`
  // apart.
  writerBefore.resize(rowCount * positions);
  for (int64_t r = 0; r < rowCount; ++r)
    std::copy_n(writer.begin() + r * positionCapacity, positions,
                writerBefore.begin() + r * positions);
  auto writersBefore = [&](int64_t r) { return writerBefore.data() + r * positions; };
  // Row i is copied from its first position not shared with its origin; a
  // row past the old count holds nothing yet.
  std::vector<int64_t> firstCopied(std::max(count, rowCount), positions);
  for (int64_t i = 0; i < count; ++i)
    if (origin[i] != i)
      firstCopied[i] =
          i < rowCount ? firstUnshared(writersBefore(i), writersBefore(origin[i])) : 0;
  auto isMoved = [&](int64_t i) { return firstCopied[i] < positions; };
  // Rows are written in increasing order, so row r needs saving only if it
  // is overwritten and a later row reads it.
  std::vector<int64_t> slot(rowCount, -1);
  int64_t staged = 0;
  for (int64_t i = 0; i < count; ++i) {
    int32_t r = origin[i];
    if (isMoved(i) && r < i && isMoved(r) && slot[r] < 0)
      slot[r] = staged++;
  }
  const int64_t rowFloats = positions * positionStride();
  if (static_cast<int64_t>(scratch.size()) < staged * rowFloats)
    scratch.resize(staged * rowFloats);
  for (int64_t r = 0; r < rowCount; ++r)
    if (slot[r] >= 0)
      copyPositions(row(r), scratch.data() + slot[r] * rowFloats, 0);
  for (int64_t i = 0; i < count; ++i) {
    if (!isMoved(i))
      continue;
    int32_t r = origin[i];
    copyPositions(slot[r] < 0 ? row(r) : scratch.data() + slot[r] * rowFloats,
                  row(i), firstCopied[i]);
    std::copy_n(writersBefore(r), positions,
                writer.begin() + i * positionCapacity);
    ++moved;
    movedPositions += positions - firstCopied[i];
  }
  rowCount = count;
  return Status::success();
}

Status KvCache::append(const TensorView &update) {
  if (update.rank() != 4 || update.shape[0] != rowCount ||
      update.shape[1] != heads || update.shape[3] != headDim)
    return Status::failure("new cache entries " + formatDims(update.shape) +
                           " do not fit a cache of " +
                           formatDims(view().shape));
  if (positions + update.shape[2] > positionCapacity)
    return Status::failure("KV cache holds at most " +
                           std::to_string(positionCapacity) + " positions");
  touchAhead(positions + update.shape[2]);
  TensorView target = view();
  target.shape[2] = update.shape[2];
  target.data = at(0, positions);
  copyTensor(update, target);
  for (int64_t r = 0; r < rowCount; ++r)
    for (int64_t p = positions; p < positions + update.shape[2]; ++p)
      writer[r * positionCapacity + p] = int32_t(r);
  positions += update.shape[2];
  return Status::success();
}

Status KvCache::assign(const TensorView &value) {
  if (value.rank() != 4 || value.shape[0] > rowCapacity ||
      value.shape[1] != heads || value.shape[3] != headDim ||
      value.shape[2] > positionCapacity)
    return Status::failure("cache value " + formatDims(value.shape) +
                           " does not fit a cache of " +
                           std::to_string(rowCapacity) + " rows and " +
                           std::to_string(positionCapacity) + " positions");
  rowCount = value.shape[0];
  positions = value.shape[2];
  // New entries, shared with no other row.
  markRowsAsOwnWriters();
  // Touching ahead must start past the positions now held.
  touched = std::max(touched, positions);
  if (value.data == storage && value.strides == view().strides)
    return Status::success();
  copyTensor(value, view());
  return Status::success();
}

} // namespace txc::runtime
