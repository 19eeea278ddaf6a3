// Linear layers, batched matrix products and the head layout changes.
#include "ir/EvalOps.h"

using namespace txc;

EvalResult txc::evaluate(LinearOp op, EvalOperands operands) {
  const EvalValue &x = operands[0], &w = operands[1];
  const EvalValue *bias = operands.size() > 2 ? &operands[2] : nullptr;
  int64_t k = x.dim(x.rank() - 1), n = w.dim(0);
  if (w.dim(1) != k)
    return opError(op, "weight in-features " + llvm::Twine(w.dim(1)) +
                           " differ from the input's " + llvm::Twine(k));
  if (bias && bias->dim(0) != n)
    return opError(op, "bias size " + llvm::Twine(bias->dim(0)) +
                           " differs from the weight's out-features " +
                           llvm::Twine(n));
  int64_t rows = elementCount(x.shape().drop_back());
  llvm::ArrayRef<float> xv = x.f32(), wv = w.f32();
  std::vector<float> out(rows * n);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias ? bias->f32()[j] : 0.0;
      for (int64_t i = 0; i < k; ++i)
        sum += static_cast<double>(xv[r * k + i]) * wv[j * k + i];
      out[r * n + j] = static_cast<float>(sum);
    }
  std::vector<int64_t> shape = x.shape().vec();
  shape.back() = n;
  return EvalValue::f32(std::move(shape), std::move(out));
}

EvalResult txc::evaluate(MatmulOp op, EvalOperands operands) {
  const EvalValue &a = operands[0], &b = operands[1];
  int64_t rank = a.rank();
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (a.dim(i) != b.dim(i))
      return opError(op, "batch dims differ: " + shapeString(a.shape()) +
                             " and " + shapeString(b.shape()));
  bool ta = op.transpose_a(), tb = op.transpose_b();
  int64_t m = a.dim(rank - (ta ? 1 : 2)), ka = a.dim(rank - (ta ? 2 : 1));
  int64_t kb = b.dim(rank - (tb ? 1 : 2)), n = b.dim(rank - (tb ? 2 : 1));
  if (ka != kb)
    return opError(op, "contraction sizes differ: " + shapeString(a.shape()) +
                           " and " + shapeString(b.shape()) +
                           (ta ? " (lhs transposed)" : "") +
                           (tb ? " (rhs transposed)" : ""));
  int64_t batch = elementCount(a.shape().drop_back(2));
  llvm::ArrayRef<float> av = a.f32(), bv = b.f32();
  std::vector<float> out(batch * m * n);
  for (int64_t p = 0; p < batch; ++p) {
    const float *ap = av.data() + p * m * ka;
    const float *bp = bv.data() + p * ka * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t k = 0; k < ka; ++k) {
          float x = ta ? ap[k * m + i] : ap[i * ka + k];
          float y = tb ? bp[j * ka + k] : bp[k * n + j];
          sum += static_cast<double>(x) * y;
        }
        out[(p * m + i) * n + j] = static_cast<float>(sum);
      }
  }
  std::vector<int64_t> shape = a.shape().drop_back(2).vec();
  shape.push_back(m);
  shape.push_back(n);
  return EvalValue::f32(std::move(shape), std::move(out));
}

EvalResult txc::evaluate(SplitHeadsOp op, EvalOperands operands) {
  const EvalValue &x = operands[0];
  int64_t b = x.dim(0), s = x.dim(1), d = x.dim(2), h = op.heads();
  if (d % h != 0)
    return opError(op, "heads (" + llvm::Twine(h) +
                           ") do not divide the feature size (" +
                           llvm::Twine(d) + ")");
  int64_t dh = d / h;
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(xv.size());
  for (int64_t i = 0; i < b; ++i)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t j = 0; j < s; ++j)
        for (int64_t k = 0; k < dh; ++k)
          out[((i * h + hh) * s + j) * dh + k] =
              xv[(i * s + j) * d + hh * dh + k];
  return EvalValue::f32({b, h, s, dh}, std::move(out));
}

EvalResult txc::evaluate(MergeHeadsOp, EvalOperands operands) {
  const EvalValue &x = operands[0];
  int64_t b = x.dim(0), h = x.dim(1), s = x.dim(2), dh = x.dim(3);
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(xv.size());
  for (int64_t i = 0; i < b; ++i)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t j = 0; j < s; ++j)
        for (int64_t k = 0; k < dh; ++k)
          out[(i * s + j) * (h * dh) + hh * dh + k] =
              xv[((i * h + hh) * s + j) * dh + k];
  return EvalValue::f32({b, s, h * dh}, std::move(out));
}
