// The output ops fuse-output produces. Token choice is the runtime's
// TokenSelection, the code the search applies to raw logits, so a fused
// decoder step chooses exactly the tokens the search would.
#include "ir/EvalOps.h"

#include "runtime/TokenSelection.h"

using namespace txc;

namespace {

// The masked token as a row index (-1: none; ids past the vocabulary mask
// nothing).
int32_t maskedToken(const EvalValue &operand, int64_t vocab) {
  int64_t t = operand.index();
  return t >= 0 && t < vocab ? static_cast<int32_t>(t) : -1;
}

// The greedy token of each row of `logits` [..., vocab].
EvalValue argmaxOfRows(const EvalValue &logits, int64_t vocab, int32_t masked) {
  const int64_t rows = logits.f32().size() / vocab;
  std::vector<int32_t> ids(rows);
  for (int64_t r = 0; r < rows; ++r)
    ids[r] = runtime::argmaxToken(logits.f32().data() + r * vocab,
                                  static_cast<int32_t>(vocab), masked);
  return EvalValue::i32(logits.shape().drop_back().vec(), std::move(ids));
}

} // namespace

EvalResult txc::evaluate(ArgmaxOp op, EvalOperands operands) {
  const EvalValue &logits = operands[0];
  const int64_t vocab = logits.shape().back();
  if (vocab < 1)
    return opError(op, "needs a non-empty vocabulary axis");
  return argmaxOfRows(logits, vocab, maskedToken(operands[1], vocab));
}

// The exact logits, then argmax: the answer the int8 screen of the
// compiled kernel must reproduce.
EvalResult txc::evaluate(LinearArgmaxOp op, EvalOperands operands) {
  EvalResult logits = evaluatePackedLinear(
      op, operands[0], operands[1], op.bias() ? &operands[3] : nullptr,
      op.out_features(), nullptr);
  if (!logits)
    return logits.takeError();
  const int64_t vocab = op.out_features();
  return argmaxOfRows(*logits, vocab, maskedToken(operands[2], vocab));
}

EvalResult txc::evaluate(LogSoftmaxTopKOp op, EvalOperands operands) {
  const EvalValue &logits = operands[0];
  const int64_t vocab = logits.shape().back();
  const int64_t k = operands[1].index();
  if (k < 1 || k > vocab)
    return opError(op, "needs k in [1, " + llvm::Twine(vocab) + "] but got " +
                           llvm::Twine(k));
  const int64_t rows = logits.f32().size() / vocab;
  const int32_t masked = maskedToken(operands[2], vocab);
  std::vector<float> records(rows * k * 2);
  for (int64_t r = 0; r < rows; ++r)
    runtime::logSoftmaxTopK(logits.f32().data() + r * vocab,
                            static_cast<int32_t>(vocab), masked,
                            static_cast<int32_t>(k), records.data() + r * k * 2);
  std::vector<int64_t> shape = logits.shape().vec();
  shape.back() = k;
  shape.push_back(2);
  return EvalValue::f32(std::move(shape), std::move(records));
}
