// The fused output ops of a decoder step: argmax for greedy search, and
// log-softmax with top-k for beam search. Each row is one task; the row
// work is TokenSelection's, which the search over raw logits also uses.
#include "runtime/BuiltinOps.h"

#include "runtime/ThreadPool.h"
#include "runtime/TokenSelection.h"

namespace txc::runtime::builtins {
namespace {

// The masked token operand as a row index (-1: none; ids past the
// vocabulary mask nothing).
int32_t maskedToken(const Operand &op, int64_t vocab) {
  return op.index >= 0 && op.index < vocab ? static_cast<int32_t>(op.index)
                                           : -1;
}

} // namespace

Status argmax(const Operands &ops, const TensorView &out) {
  const TensorView &logits = ops[0].tensor;
  const int64_t vocab = logits.shape.back();
  const int64_t rows = out.numel();
  const int32_t masked = maskedToken(ops[1], vocab);
  parallelFor(rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      out.i32()[r] = argmaxToken(logits.f32() + r * vocab,
                                 static_cast<int32_t>(vocab), masked);
  });
  return Status::success();
}

Status linearArgmax(const PlanStep &step, const Operands &ops,
                    const TensorView &out) {
  const TensorView &w = ops[1].tensor;
  const int64_t n = w.rank() == 3 ? step.attrInt("out_features") : w.shape[0];
  std::vector<float> storage(size_t(out.numel() * n));
  Dims shape = out.shape;
  shape.push_back(n);
  Operand logits;
  logits.present = true;
  logits.tensor = TensorView(DType::F32, shape, storage.data());
  if (Status s = linear(step, {ops[0], ops[1], ops[3]}, logits.tensor); !s.ok())
    return s;
  return argmax({logits, ops[2]}, out);
}

Status logSoftmaxTopK(const Operands &ops, const TensorView &out) {
  const TensorView &logits = ops[0].tensor;
  const int64_t vocab = logits.shape.back();
  const int64_t rows = vocab ? logits.numel() / vocab : 0;
  const int64_t k = ops[1].index;
  const int32_t masked = maskedToken(ops[2], vocab);
  parallelFor(rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      runtime::logSoftmaxTopK(logits.f32() + r * vocab,
                              static_cast<int32_t>(vocab), masked,
                              static_cast<int32_t>(k),
                              out.f32() + r * 2 * k);
  });
  return Status::success();
}

} // namespace txc::runtime::builtins
