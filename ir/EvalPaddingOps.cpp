// Packing the real tokens of a padded batch, and back.
#include "ir/EvalOps.h"

#include "runtime/PackedRows.h"

using namespace txc;
using runtime::packedOffsets;

static llvm::Error checkBatch(mlir::Operation *op, const EvalValue &lengths,
                              int64_t batch) {
  if (lengths.dim(0) == batch)
    return llvm::Error::success();
  return opError(op, "has " + llvm::Twine(lengths.dim(0)) +
                         " lengths for a batch of " + llvm::Twine(batch));
}

EvalResult txc::evaluate(PackRowsOp op, EvalOperands operands) {
  const EvalValue &x = operands[0], &lengths = operands[1];
  int64_t b = x.dim(0), s = x.dim(1), d = x.dim(2);
  if (llvm::Error e = checkBatch(op, lengths, b))
    return std::move(e);
  std::vector<int64_t> offsets = packedOffsets(lengths.i32().data(), b, s);
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(offsets[b] * d);
  for (int64_t i = 0; i < b; ++i)
    std::copy(xv.begin() + i * s * d,
              xv.begin() + (i * s + offsets[i + 1] - offsets[i]) * d,
              out.begin() + offsets[i] * d);
  return EvalValue::f32({offsets[b], d}, std::move(out));
}

EvalResult txc::evaluate(UnpackRowsOp op, EvalOperands operands) {
  const EvalValue &packed = operands[0], &lengths = operands[1];
  int64_t b = operands[2].dim(0), s = operands[2].dim(1), d = packed.dim(1);
  if (llvm::Error e = checkBatch(op, lengths, b))
    return std::move(e);
  std::vector<int64_t> offsets = packedOffsets(lengths.i32().data(), b, s);
  if (offsets[b] != packed.dim(0))
    return opError(op, "lengths give " + llvm::Twine(offsets[b]) +
                           " packed rows but got " + llvm::Twine(packed.dim(0)));
  llvm::ArrayRef<float> pv = packed.f32();
  std::vector<float> out(b * s * d, 0.0f);
  for (int64_t i = 0; i < b; ++i)
    std::copy(pv.begin() + offsets[i] * d, pv.begin() + offsets[i + 1] * d,
              out.begin() + i * s * d);
  return EvalValue::f32({b, s, d}, std::move(out));
}
