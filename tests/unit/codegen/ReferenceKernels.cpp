//===- ReferenceKernels.cpp - plain loops the kernels must match ----------===//

#include "ReferenceKernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace txc::codegen::testing {

namespace {

const double kMinusInf = -std::numeric_limits<double>::infinity();

double logitAt(const Floats &logits, int row, int vocab, int token,
               int maskedToken) {
  return token == maskedToken ? kMinusInf : logits[size_t(row) * vocab + token];
}

} // namespace

double referenceActivation(Activation activation, double x) {
  switch (activation) {
  case Activation::None:
    return x;
  case Activation::Relu:
    return std::max(x, 0.0);
  case Activation::Gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case Activation::GeluTanh:
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  case Activation::Swish:
    return x / (1.0 + std::exp(-x));
  }
  return x;
}

Floats referenceLinear(const Floats &x, const Floats &w, const Floats &bias,
                       int m, int n, int k, Activation activation) {
  Floats out(size_t(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double sum = bias.empty() ? 0.0 : bias[j];
      for (int p = 0; p < k; ++p)
        sum += double(x[size_t(i) * k + p]) * w[size_t(j) * k + p];
      out[size_t(i) * n + j] = float(referenceActivation(activation, sum));
    }
  return out;
}

Floats referenceBatchMatmul(const Floats &a, const Floats &b, int batch, int m,
                            int n, int k, bool transposeA, bool transposeB) {
  Floats out(size_t(batch) * m * n);
  for (int e = 0; e < batch; ++e) {
    const float *pa = a.data() + size_t(e) * m * k;
    const float *pb = b.data() + size_t(e) * k * n;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double sum = 0;
        for (int p = 0; p < k; ++p) {
          double av = transposeA ? pa[size_t(p) * m + i] : pa[size_t(i) * k + p];
          double bv = transposeB ? pb[size_t(j) * k + p] : pb[size_t(p) * n + j];
          sum += av * bv;
        }
        out[(size_t(e) * m + i) * n + j] = float(sum);
      }
  }
  return out;
}

Floats referenceSoftmax(const Floats &scores, int batch, int heads, int queries,
                        int keys, double scale, const ReferenceMasks &masks) {
  Floats out(scores.size());
  std::vector<double> row(keys);
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < queries; ++q) {
        size_t base = ((size_t(b) * heads + h) * queries + q) * keys;
        double best = kMinusInf;
        for (int k = 0; k < keys; ++k) {
          bool masked = (masks.lengths && k >= (*masks.lengths)[b]) ||
                        (masks.causalOffset && k > q + *masks.causalOffset);
          row[k] = masked ? kMinusInf : scores[base + k] * scale;
          best = std::max(best, row[k]);
        }
        double sum = 0;
        for (int k = 0; k < keys; ++k) {
          row[k] = row[k] == kMinusInf ? 0.0 : std::exp(row[k] - best);
          sum += row[k];
        }
        for (int k = 0; k < keys; ++k)
          out[base + k] = sum > 0 ? float(row[k] / sum) : 0.0f;
      }
  return out;
}

Floats referenceLayerNorm(const Floats &x, const Floats &residual,
                          const Floats &gamma, const Floats &beta, int rows,
                          int features, double eps) {
  Floats out(x.size());
  std::vector<double> sum(features);
  for (int r = 0; r < rows; ++r) {
    size_t base = size_t(r) * features;
    double mean = 0;
    for (int d = 0; d < features; ++d) {
      sum[d] = x[base + d] + (residual.empty() ? 0.0 : residual[base + d]);
      mean += sum[d];
    }
    mean /= features;
    double variance = 0;
    for (int d = 0; d < features; ++d)
      variance += (sum[d] - mean) * (sum[d] - mean);
    variance /= features;
    for (int d = 0; d < features; ++d)
      out[base + d] = float((sum[d] - mean) / std::sqrt(variance + eps) *
                                gamma[d] +
                            beta[d]);
  }
  return out;
}

Floats referenceAttention(const Floats &q, const Floats &k, const Floats &v,
                          int batch, int heads, int queries, int keys,
                          int headDim, double scale,
                          const ReferenceMasks &masks) {
  int rows = batch * heads;
  Floats scores =
      referenceBatchMatmul(q, k, rows, queries, keys, headDim, false, true);
  Floats probs =
      referenceSoftmax(scores, batch, heads, queries, keys, scale, masks);
  return referenceBatchMatmul(probs, v, rows, queries, headDim, keys, false,
                              false);
}

Floats referenceLogSoftmax(const Floats &logits, int rows, int vocab,
                           int maskedToken) {
  Floats out(logits.size());
  for (int r = 0; r < rows; ++r) {
    double best = kMinusInf;
    for (int t = 0; t < vocab; ++t)
      best = std::max(best, logitAt(logits, r, vocab, t, maskedToken));
    double sum = 0;
    for (int t = 0; t < vocab; ++t)
      sum += std::exp(logitAt(logits, r, vocab, t, maskedToken) - best);
    for (int t = 0; t < vocab; ++t)
      out[size_t(r) * vocab + t] =
          float(logitAt(logits, r, vocab, t, maskedToken) - best -
                std::log(sum));
  }
  return out;
}

std::vector<int> referenceArgmax(const Floats &logits, int rows, int vocab,
                                 int maskedToken) {
  std::vector<int> out(rows);
  for (int r = 0; r < rows; ++r) {
    int best = 0;
    for (int t = 1; t < vocab; ++t)
      if (logitAt(logits, r, vocab, t, maskedToken) >
          logitAt(logits, r, vocab, best, maskedToken))
        best = t;
    out[r] = best;
  }
  return out;
}

} // namespace txc::codegen::testing
