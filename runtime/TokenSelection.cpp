#include "runtime/TokenSelection.h"

#include "runtime/FloatLanes.h"
#include "runtime/LogSumExp.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace txc::runtime {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
// Tokens per block whose largest logit decides whether the block can hold a
// candidate at all; nearly every block of a long row is skipped on it.
constexpr int32_t kBlock = 4 * kLanes;

// The largest of x[0..count), count <= kBlock.
__attribute__((target_clones("avx512f", "avx2", "default"))) float
blockMax(const float *x, int32_t count) {
  float m = -kInf;
  int32_t t = 0;
  if (count == kBlock) {
    Floats16 a = load16(x), b = load16(x + kLanes);
    Floats16 c = load16(x + 2 * kLanes), d = load16(x + 3 * kLanes);
    a = a > b ? a : b;
    c = c > d ? c : d;
    m = maxLane(a > c ? a : c);
    t = count;
  }
  for (; t < count; ++t)
    m = x[t] > m ? x[t] : m;
  return m;
}

bool before(const TokenLogit &a, const TokenLogit &b) {
  return a.logit != b.logit ? a.logit > b.logit : a.token < b.token;
}

} // namespace

int32_t argmaxToken(const float *x, int32_t n, int32_t masked) {
  float best;
  if (scanLogitsRow(x, n, masked, best) >= 0)
    return kNonFiniteLogit;
  if (best == -kInf)
    return kNoFiniteLogit;
  for (int32_t t = 0; t < n; ++t)
    if (x[t] == best && t != masked)
      return t;
  return kNoFiniteLogit;
}

int32_t topTokens(const float *x, int32_t n, int32_t masked, int32_t k,
                  TokenLogit *out) {
  int32_t count = 0;
  if (k <= 0)
    return 0;
  for (int32_t b = 0; b < n; b += kBlock) {
    int32_t e = std::min(n, b + kBlock);
    // Later tokens lose ties, so a block no better than the k-th is skipped.
    if (count == k && !(blockMax(x + b, e - b) > out[k - 1].logit))
      continue;
    for (int32_t t = b; t < e; ++t) {
      float v = x[t];
      if (t == masked || v == -kInf || (count == k && !(v > out[k - 1].logit)))
        continue;
      TokenLogit item{v, t};
      int32_t at = static_cast<int32_t>(
          std::upper_bound(out, out + count, item, before) - out);
      int32_t last = std::min(count, k - 1);
      std::move_backward(out + at, out + last, out + last + 1);
      out[at] = item;
      count = std::min(count + 1, k);
    }
  }
  return count;
}

void logSoftmaxTopK(const float *x, int32_t n, int32_t masked, int32_t k,
                    float *records) {
  for (int32_t i = 0; i < k; ++i) {
    records[2 * i] = -kInf;
    records[2 * i + 1] = -1.0f;
  }
  float maxValue;
  if (scanLogitsRow(x, n, masked, maxValue) >= 0) {
    for (int32_t i = 0; i < k; ++i)
      records[2 * i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  if (maxValue == -kInf)
    return;
  double logSum = logSumExpRow(x, n, masked, maxValue);
  thread_local std::vector<TokenLogit> best;
  best.resize(static_cast<size_t>(k));
  int32_t count = topTokens(x, n, masked, k, best.data());
  for (int32_t i = 0; i < count; ++i) {
    records[2 * i] = static_cast<float>(double(best[i].logit) - logSum);
    records[2 * i + 1] = static_cast<float>(best[i].token);
  }
}

} // namespace txc::runtime
