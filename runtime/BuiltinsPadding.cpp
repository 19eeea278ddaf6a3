// pack_rows and unpack_rows: moving the real tokens of a padded batch
// together and back, one memcpy per sequence.
#include "runtime/BuiltinOps.h"

#include "runtime/PackedRows.h"
#include "runtime/ThreadPool.h"

#include <cstring>

namespace txc::runtime::builtins {

namespace {

// Copies sequence i's packed rows between `padded` [b, s, d] and `packed`
// [t, d], in the direction `toPacked` says; unpacking zeroes the padding.
void movePackedRows(const TensorView &padded, const TensorView &packed,
                    const int32_t *lengths, bool toPacked) {
  const int64_t batch = padded.shape[0], seq = padded.shape[1],
                d = padded.shape[2];
  std::vector<int64_t> offsets = packedOffsets(lengths, batch, seq);
  parallelFor(batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      int64_t rows = offsets[i + 1] - offsets[i];
      float *sequence = padded.f32() + i * seq * d;
      float *run = packed.f32() + offsets[i] * d;
      if (toPacked) {
        std::memcpy(run, sequence, rows * d * sizeof(float));
        continue;
      }
      std::memcpy(sequence, run, rows * d * sizeof(float));
      std::memset(sequence + rows * d, 0, (seq - rows) * d * sizeof(float));
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
