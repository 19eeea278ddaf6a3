// Attention masks, softmax, LayerNorm and the KV-cache ops.
#include "ir/EvalOps.h"

#include <cmath>
#include <limits>

using namespace txc;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Copies `scores` [b, h, q, k] with -inf wherever masked(b, q, k).
template <typename Masked>
EvalValue maskScores(const EvalValue &scores, Masked masked) {
  int64_t b = scores.dim(0), h = scores.dim(1), q = scores.dim(2),
          k = scores.dim(3);
  std::vector<float> out = scores.f32().vec();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t qi = 0; qi < q; ++qi)
        for (int64_t ki = 0; ki < k; ++ki)
          if (masked(i, qi, ki))
            out[((i * h + hh) * q + qi) * k + ki] = kNegInf;
  return EvalValue::f32(scores.shape().vec(), std::move(out));
}

} // namespace

EvalResult txc::evaluate(PaddingMaskOp op, EvalOperands operands) {
  const EvalValue &scores = operands[0], &lengths = operands[1];
  if (lengths.dim(0) != scores.dim(0))
    return opError(op, "has " + llvm::Twine(lengths.dim(0)) +
                           " lengths for a batch of " +
                           llvm::Twine(scores.dim(0)));
  llvm::ArrayRef<int32_t> len = lengths.i32();
  return maskScores(
      scores, [&](int64_t i, int64_t, int64_t ki) { return ki >= len[i]; });
}

EvalResult txc::evaluate(CausalMaskOp, EvalOperands operands) {
  int64_t offset = operands[1].index();
  return maskScores(operands[0], [&](int64_t, int64_t qi, int64_t ki) {
    return ki > qi + offset;
  });
}

void txc::softmaxRow(const float *in, int64_t n, float *out) {
  double maxValue = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i)
    maxValue = std::max(maxValue, static_cast<double>(in[i]));
  if (maxValue == -std::numeric_limits<double>::infinity()) {
    std::fill(out, out + n, 0.f); // a fully masked row attends to nothing
    return;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += std::exp(in[i] - maxValue);
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(std::exp(in[i] - maxValue) / sum);
}

EvalResult txc::evaluate(SoftmaxOp, EvalOperands operands) {
  const EvalValue &x = operands[0];
  int64_t n = x.dim(x.rank() - 1);
  int64_t rows = elementCount(x.shape().drop_back());
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(xv.size());
  for (int64_t r = 0; r < rows; ++r)
    softmaxRow(xv.data() + r * n, n, out.data() + r * n);
  return EvalValue::f32(x.shape().vec(), std::move(out));
}

void txc::layerNormRow(const float *in, int64_t d, const float *gamma,
                       const float *beta, double eps, float *out) {
  double mean = 0;
  for (int64_t i = 0; i < d; ++i)
    mean += in[i];
  mean /= d;
  double var = 0;
  for (int64_t i = 0; i < d; ++i)
    var += (in[i] - mean) * (in[i] - mean);
  var /= d;
  double inv = 1 / std::sqrt(var + eps);
  for (int64_t i = 0; i < d; ++i)
    out[i] = static_cast<float>((in[i] - mean) * inv * gamma[i] + beta[i]);
}

llvm::Error txc::checkNormParameters(mlir::Operation *op, int64_t features,
                                     const EvalValue &gamma,
                                     const EvalValue &beta) {
  if (gamma.dim(0) == features && beta.dim(0) == features)
    return llvm::Error::success();
  return opError(op, "gamma/beta sizes " + llvm::Twine(gamma.dim(0)) + "/" +
                         llvm::Twine(beta.dim(0)) +
                         " differ from the feature size " +
                         llvm::Twine(features));
}

EvalResult txc::evaluate(LayerNormOp op, EvalOperands operands) {
  const EvalValue &x = operands[0], &gamma = operands[1], &beta = operands[2];
  int64_t d = x.dim(x.rank() - 1);
  if (llvm::Error e = checkNormParameters(op, d, gamma, beta))
    return std::move(e);
  double eps = op.eps().convertToDouble();
  int64_t rows = elementCount(x.shape().drop_back());
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(xv.size());
  for (int64_t r = 0; r < rows; ++r)
    layerNormRow(xv.data() + r * d, d, gamma.f32().data(), beta.f32().data(),
                 eps, out.data() + r * d);
  return EvalValue::f32(x.shape().vec(), std::move(out));
}

EvalResult txc::evaluate(KvCacheReadOp op, EvalOperands operands) {
  const EvalValue &cache = operands[0], &origin = operands[1];
  int64_t rows = cache.dim(0);
  int64_t rowSize = elementCount(cache.shape().drop_front());
  int64_t b = origin.dim(0);
  llvm::ArrayRef<float> cv = cache.f32();
  std::vector<float> out(b * rowSize);
  for (int64_t i = 0; i < b; ++i) {
    int64_t from = origin.i32()[i];
    if (from < 0 || from >= rows)
      return opError(op, "origin " + llvm::Twine(from) + " of row " +
                             llvm::Twine(i) + " is outside the cache's " +
                             llvm::Twine(rows) + " rows");
    std::copy(cv.begin() + from * rowSize, cv.begin() + (from + 1) * rowSize,
              out.begin() + i * rowSize);
  }
  std::vector<int64_t> shape = cache.shape().vec();
  shape[0] = b;
  return EvalValue::f32(std::move(shape), std::move(out));
}

EvalResult txc::evaluate(KvCacheAppendOp op, EvalOperands operands) {
  const EvalValue &cache = operands[0], &update = operands[1];
  int64_t b = cache.dim(0), h = cache.dim(1), p = cache.dim(2),
          dh = cache.dim(3), t = update.dim(2);
  if (update.dim(0) != b || update.dim(1) != h || update.dim(3) != dh)
    return opError(op, "update " + shapeString(update.shape()) +
                           " does not fit cache " + shapeString(cache.shape()));
  llvm::ArrayRef<float> cv = cache.f32(), uv = update.f32();
  std::vector<float> out(b * h * (p + t) * dh);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t hh = 0; hh < h; ++hh) {
      float *dst = out.data() + (i * h + hh) * (p + t) * dh;
      const float *old = cv.data() + (i * h + hh) * p * dh;
      const float *fresh = uv.data() + (i * h + hh) * t * dh;
      std::copy(old, old + p * dh, dst);
      std::copy(fresh, fresh + t * dh, dst + p * dh);
    }
  return EvalValue::f32({b, h, p + t, dh}, std::move(out));
}
