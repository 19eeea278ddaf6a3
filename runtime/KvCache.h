// The self-attention keys or values of one decoder layer while a batch is
// decoded: storage for [rows, capacity, heads, headDim] allocated once, new
// positions written in place, and rows moved only when the hypotheses they
// belong to change (beam search) or finished sentences leave. A position of
// a row is one contiguous run of all heads, so an append writes one run a
// row and a row moves as one block, instead of a run a head in its own page.
//
// The cache remembers which append wrote each held (row, position). In a
// beam, a hypothesis that takes another's row shares with the row's last
// holder every position their common ancestor wrote, so a reorder copies
// only the positions past the point where the two lines parted.
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
  // to count. Only the positions where row i's entries came from another
  // append than origin[i]'s are copied, so rows with origin[i] == i are not
  // touched (an identity origin copies nothing); `scratch` holds rows that
  // are overwritten before they are read.
  Status reorder(const int32_t *origin, int64_t count,
                 std::vector<float> &scratch);

  // Writes `update` [rows, heads, t, headDim] (any strides) at positions
  // [length, length + t).
  Status append(const TensorView &update);

  // Replaces the contents with `value` [rows, heads, length, headDim], for
  // a cache a kernel computed outside the storage.
  Status assign(const TensorView &value);

  // Rows and positions copied by reorder() since reset(), to check that
  // identity reorders are free and shared positions stay in place.
  int64_t rowsMoved() const { return moved; }
  int64_t positionsMoved() const { return movedPositions; }

private:
  // Copies positions [first, length) of a row (each heads x headDim).
  void copyPositions(const float *fromRow, float *toRow, int64_t first) const;
  // The first held position at which two rows' writers (length() each)
  // differ, or length() when the rows share every position.
  int64_t firstUnshared(const int32_t *a, const int32_t *b) const;
  // Marks the held positions of every row as written by the row itself.
  void markRowsAsOwnWriters();
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
  // writer[row * capacity + position]: the row that appended the entries
  // there. A position is appended once a batch, so at one position equal
  // writers mean the same append.
  std::vector<int32_t> writer, writerBefore;
  int64_t rowCount = 0, rowCapacity = 0, heads = 0, positionCapacity = 0,
          headDim = 0, positions = 0, touched = 0, moved = 0,
          movedPositions = 0;
};

} // namespace txc::runtime
