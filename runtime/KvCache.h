// The self-attention keys or values of one decoder layer while a batch is
// decoded: storage for [rows, capacity, heads, headDim] allocated once, new
// positions written in place, and rows moved only when the hypotheses they
// belong to change (beam search) or finished sentences leave. A position of
// a row is one contiguous run of all heads, so an append writes one run a
// row and a row moves as one block, instead of a run a head in its own page.
#pragma once

#include "runtime/MemoryPlan.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <vector>

namespace txc::runtime {

class KvCache {
public:
  // Empties the cache and gives it `rows` rows of room for `capacity`
  // positions, keeping the storage when it is large enough for
  // `rowCapacity` rows. Pages of storage are only touched as positions fill.
  Status reset(int64_t rows, int64_t rowCapacity, int64_t heads,
               int64_t capacity, int64_t headDim);

  int64_t rows() const { return rowCount; }
  int64_t length() const { return positions; }
  int64_t capacity() const { return positionCapacity; }

  // The cache as a tensor [rows, heads, length, headDim]; its strides are
  // those of the storage, so the view aliases it.
  TensorView view() const;

  // Makes row i hold what row origin[i] held, for i < count, and sets rows
  // to count. Rows with origin[i] == i are not touched (an identity origin
  // copies nothing); `scratch` holds rows that are overwritten before they
  // are read.
  Status reorder(const int32_t *origin, int64_t count,
                 std::vector<float> &scratch);

  // Writes `update` [rows, heads, t, headDim] (any strides) at positions
  // [length, length + t).
  Status append(const TensorView &update);

  // Replaces the contents with `value` [rows, heads, length, headDim], for
  // a cache a kernel computed outside the storage.
  Status assign(const TensorView &value);

  // Rows copied by reorder() since reset(), to check identity reorders are
  // free.
  int64_t rowsMoved() const { return moved; }

private:
  // Copies the held positions of a row (positions x heads x headDim).
  void copyRow(const float *from, float *to) const;
  // Writes once to each page positions [touched, needed + kTouchAhead) will
  // use, on all threads: a fresh page costs a fault, which would otherwise
  // be taken one at a time inside append's copy.
  void touchAhead(int64_t needed);
  static constexpr int64_t kTouchAhead = 16, kPageBytes = 4096;
  float *row(int64_t i) const { return at(i, 0); }
  float *at(int64_t row, int64_t position) const {
    return storage + row * rowStride() + position * positionStride();
  }
  int64_t positionStride() const { return heads * headDim; }
  int64_t rowStride() const { return positionCapacity * positionStride(); }

  Arena memory; // 64-byte aligned, as kernels may assume
  float *storage = nullptr;
  int64_t rowCount = 0, rowCapacity = 0, heads = 0, positionCapacity = 0,
          headDim = 0, positions = 0, touched = 0, moved = 0;
};

} // namespace txc::runtime
