// pack_rows and unpack_rows: moving the real tokens of a padded batch
// together and back, a row (or a row's head blocks) at a time.
#include "runtime/BuiltinOps.h"

#include "runtime/PackedRows.h"
#include "runtime/ThreadPool.h"

#include <cstring>

namespace txc::runtime::builtins {

namespace {

// Copies sequence i's packed rows between `padded` and `packed` [t, d], in
// the direction `toPacked` says; unpacking zeroes the padding. `padded` is
// [b, s, d], or [b, s, d / w, w] in head blocks (HeadBlocks.h): a row of
// `packed` then goes to d / w runs of w.
void movePackedRows(const TensorView &padded, const TensorView &packed,
                    const int32_t *lengths, bool toPacked) {
  const bool blocked = padded.rank() == 4;
  const int64_t batch = padded.shape[0], seq = padded.shape[1],
                blocks = blocked ? padded.shape[2] : 1,
                width = blocked ? padded.shape[3] : padded.shape[2],
                blockStride = blocked ? padded.strides[2] : width,
                d = blocks * width;
  const int64_t rowStride = padded.strides[1];
  const size_t bytes = width * sizeof(float);
  std::vector<int64_t> offsets = packedOffsets(lengths, batch, seq);
  parallelFor(batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      int64_t rows = offsets[i + 1] - offsets[i];
      float *run = packed.f32() + offsets[i] * d;
      // Block by block, so that unpacking writes each block front to back.
      for (int64_t c = 0; c < blocks; ++c) {
        float *block = padded.f32() + i * padded.strides[0] + c * blockStride;
        for (int64_t p = 0; p < rows; ++p) {
          float *at = block + p * rowStride, *row = run + p * d + c * width;
          std::memcpy(toPacked ? row : at, toPacked ? at : row, bytes);
        }
        for (int64_t p = rows; p < seq && !toPacked; ++p)
          std::memset(block + p * rowStride, 0, bytes);
      }
    }
  });
}

} // namespace

Status packRows(const Operands &ops, const TensorView &out) {
  movePackedRows(ops[0].tensor, out, ops[1].tensor.i32(), true);
  return Status::success();
}

Status unpackRows(const Operands &ops, const TensorView &out) {
  movePackedRows(out, ops[0].tensor, ops[1].tensor.i32(), false);
  return Status::success();
}

} // namespace txc::runtime::builtins
