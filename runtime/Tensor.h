// A view of a tensor in memory the runtime does not own: element type,
// shape and strides (row-major order, outermost first, in elements).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace txc::runtime {

// Element types of plan values; Index is a scalar (a position or a count).
// I8 is never a plan value: it views an I32 tensor's bytes for a kernel that
// reads them as signed bytes (the int8 vocabulary screen).
enum class DType : uint8_t { F32, I32, Index, I8 };

const char *dtypeName(DType type);

using Dims = std::vector<int64_t>;

// "[2, 3, 4]", for messages.
std::string formatDims(const Dims &dims);

int64_t numElements(const Dims &shape);

// Row-major strides of a dense tensor of `shape`.
Dims denseStrides(const Dims &shape);

struct TensorView {
  DType dtype = DType::F32;
  Dims shape;
  Dims strides; // same rank as shape
  void *data = nullptr;

  TensorView() = default;
  // A dense view of `shape` at `data`.
  TensorView(DType dtype, Dims shape, void *data)
      : dtype(dtype), shape(std::move(shape)), data(data) {
    strides = denseStrides(this->shape);
  }

  int rank() const { return static_cast<int>(shape.size()); }
  int64_t numel() const { return numElements(shape); }
  // True when the elements are contiguous in row-major order.
  bool isDense() const;
  float *f32() const { return static_cast<float *>(data); }
  int32_t *i32() const { return static_cast<int32_t *>(data); }
};

// Elements [offset, offset + size) of the last axis of `t`, which must lie
// within it: a view of the same data with the same strides.
TensorView sliceLastAxis(const TensorView &t, int64_t offset, int64_t size);

// `t` [b, s, heads * dh] (innermost stride 1) seen as [b, heads, s, dh]: a
// view of the same data, head h of position p at the same place.
TensorView splitHeadsView(const TensorView &t, int64_t heads);

// Copies `src` (any strides) into the dense row-major buffer `dst`, which
// holds src.numel() elements of 4 bytes.
void copyToDense(const TensorView &src, void *dst);

// Copies `src` into `dst` of the same shape, both with any strides.
void copyTensor(const TensorView &src, const TensorView &dst);

} // namespace txc::runtime
