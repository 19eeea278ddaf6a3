#include "runtime/Tensor.h"

#include <cstring>

namespace txc::runtime {

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::I32:
    return "i32";
  case DType::Index:
    return "index";
  case DType::I8:
    return "i8";
  }
  return "?";
}

std::string formatDims(const Dims &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ", ";
    s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return s + "]";
}

int64_t numElements(const Dims &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Dims denseStrides(const Dims &shape) {
  Dims strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

bool TensorView::isDense() const {
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != stride)
      return false;
    stride *= shape[i];
  }
  return true;
}

TensorView sliceLastAxis(const TensorView &t, int64_t offset, int64_t size) {
  TensorView s = t;
  s.shape.back() = size;
  // f32 and i32 are both 4 bytes wide.
  if (t.data)
    s.data = static_cast<uint32_t *>(t.data) + offset * t.strides.back();
  return s;
}

TensorView splitHeadsView(const TensorView &t, int64_t heads) {
  const int64_t dh = t.shape[2] / heads;
  TensorView v = t;
  v.shape = {t.shape[0], heads, t.shape[1], dh};
  v.strides = {t.strides[0], dh * t.strides[2], t.strides[1], t.strides[2]};
  return v;
}

namespace {

// Calls copyRow(srcOffset, dstOffset, count) for each innermost row.
template <typename Fn>
void forEachRow(const Dims &shape, const Dims &srcStrides,
                const Dims &dstStrides, Fn copyRow) {
  int rank = static_cast<int>(shape.size());
  if (rank == 0) {
    copyRow(0, 0, 1);
    return;
  }
  int64_t rows = 1;
  for (int d = 0; d + 1 < rank; ++d)
    rows *= shape[d];
  if (shape[rank - 1] == 0)
    return;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rest = r, src = 0, dst = 0;
    for (int d = rank - 2; d >= 0; --d) {
      int64_t i = rest % shape[d];
      rest /= shape[d];
      src += i * srcStrides[d];
      dst += i * dstStrides[d];
    }
    copyRow(src, dst, shape[rank - 1]);
  }
}

} // namespace

void copyTensor(const TensorView &src, const TensorView &dst) {
  // f32 and i32 are both 4 bytes wide; only the layout matters here.
  const uint32_t *from = static_cast<const uint32_t *>(src.data);
  uint32_t *to = static_cast<uint32_t *>(dst.data);
  int rank = src.rank();
  int64_t srcInner = rank ? src.strides[rank - 1] : 1;
  int64_t dstInner = rank ? dst.strides[rank - 1] : 1;
  forEachRow(src.shape, src.strides, dst.strides,
             [&](int64_t s, int64_t d, int64_t count) {
               if (srcInner == 1 && dstInner == 1) {
                 std::memcpy(to + d, from + s, count * sizeof(uint32_t));
                 return;
               }
               for (int64_t i = 0; i < count; ++i)
                 to[d + i * dstInner] = from[s + i * srcInner];
             });
}

void copyToDense(const TensorView &src, void *dst) {
  TensorView out(src.dtype, src.shape, dst);
  copyTensor(src, out);
}

} // namespace txc::runtime
