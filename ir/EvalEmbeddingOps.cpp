// Token embeddings and position encodings.
#include "ir/EvalOps.h"

#include <cmath>

using namespace txc;

EvalResult txc::evaluate(EmbeddingOp op, EvalOperands operands) {
  const EvalValue &table = operands[0], &ids = operands[1];
  int64_t vocab = table.dim(0), d = table.dim(1);
  int64_t b = ids.dim(0), s = ids.dim(1);
  double scale = op.scale().convertToDouble();
  llvm::ArrayRef<float> t = table.f32();
  llvm::ArrayRef<int32_t> idv = ids.i32();
  std::vector<float> out(b * s * d);
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t j = 0; j < s; ++j) {
      int64_t id = idv[i * s + j];
      if (id < 0 || id >= vocab)
        return opError(op, "id " + llvm::Twine(id) + " at [" + llvm::Twine(i) +
                               ", " + llvm::Twine(j) + "] is outside [0, " +
                               llvm::Twine(vocab) + ")");
      for (int64_t k = 0; k < d; ++k)
        out[(i * s + j) * d + k] =
            static_cast<float>(static_cast<double>(t[id * d + k]) * scale);
    }
  }
  return EvalValue::f32({b, s, d}, std::move(out));
}

EvalResult txc::evaluate(SinusoidPositionsOp op, EvalOperands operands) {
  const EvalValue &x = operands[0];
  int64_t b = x.dim(0), s = x.dim(1), d = x.dim(2);
  if (d % 2 != 0)
    return opError(op, "needs an even feature size but got " + llvm::Twine(d));
  int64_t first = operands[1].index() + op.offset();
  bool interleaved = op.layout() == "interleaved";
  int64_t half = d / 2;
  // pe[j * d + feature] for token j.
  std::vector<double> pe(s * d);
  for (int64_t j = 0; j < s; ++j) {
    double p = static_cast<double>(first + j);
    for (int64_t i = 0; i < half; ++i) {
      double angle = p / std::pow(10000.0, 2.0 * i / d);
      int64_t sinAt = interleaved ? 2 * i : i;
      int64_t cosAt = interleaved ? 2 * i + 1 : i + half;
      pe[j * d + sinAt] = std::sin(angle);
      pe[j * d + cosAt] = std::cos(angle);
    }
  }
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(xv.size());
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < s; ++j)
      for (int64_t k = 0; k < d; ++k) {
        int64_t at = (i * s + j) * d + k;
        out[at] = static_cast<float>(xv[at] + pe[j * d + k]);
      }
  return EvalValue::f32(x.shape().vec(), std::move(out));
}

EvalResult txc::evaluate(LearnedPositionsOp op, EvalOperands operands) {
  const EvalValue &x = operands[0], &table = operands[1];
  int64_t b = x.dim(0), s = x.dim(1), d = x.dim(2);
  int64_t rows = table.dim(0);
  if (table.dim(1) != d)
    return opError(op, "table feature size " + llvm::Twine(table.dim(1)) +
                           " differs from the input's " + llvm::Twine(d));
  int64_t first = operands[2].index() + op.offset();
  if (s > 0 && (first < 0 || first + s > rows))
    return opError(
        op, "positions [" + llvm::Twine(first) + ", " + llvm::Twine(first + s) +
                ") fall outside the table's " + llvm::Twine(rows) + " rows");
  llvm::ArrayRef<float> xv = x.f32(), tv = table.f32();
  std::vector<float> out(xv.size());
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < s; ++j)
      for (int64_t k = 0; k < d; ++k) {
        int64_t at = (i * s + j) * d + k;
        out[at] = static_cast<float>(static_cast<double>(xv[at]) +
                                     tv[(first + j) * d + k]);
      }
  return EvalValue::f32(x.shape().vec(), std::move(out));
}
