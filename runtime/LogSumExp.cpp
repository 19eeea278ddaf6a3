#include "runtime/LogSumExp.h"

#include <cmath>
#include <algorithm>
#include <limits>

namespace txc::runtime {
namespace {

// exp(x) for x <= 0 in float, branch-free so the compiler vectorizes the
// loop that calls it: 2^n * p(r) with x = n ln2 + r, |r| <= ln2 / 2, and a
// degree-6 polynomial (Cephes expf), exact to about 1 ulp.
inline float expNonPositive(float x) {
  x = std::max(x, -87.0f);
  // floor() without a library call, so the loop vectorizes on plain SSE2.
  float fx = x * 1.44269504088896341f + 0.5f;
  int32_t i = static_cast<int32_t>(fx);
  i -= static_cast<int32_t>(static_cast<float>(i) > fx);
  float n = static_cast<float>(i);
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * __builtin_bit_cast(float, (i + 127) << 23);
}

// Sum of exp(x[t] - maxValue) over [begin, end), in blocks summed in float
// (short, so rounding stays near 1e-7) and added up in double. Cloned per
// vector ISA: the runtime is built for any x86-64, the search runs on this
// one.
__attribute__((target_clones("avx512f", "avx2", "default"))) double
sumExpRange(const float *x, int32_t begin, int32_t end, float maxValue) {
  constexpr int32_t kBlock = 64;
  double total = 0;
  for (int32_t b = begin; b < end; b += kBlock) {
    int32_t e = b + kBlock < end ? b + kBlock : end;
    float block = 0;
#pragma omp simd reduction(+ : block)
    for (int32_t t = b; t < e; ++t)
      block += expNonPositive(x[t] - maxValue);
    total += block;
  }
  return total;
}

// Raises `maxValue` to the largest of x[begin, end) and returns the first
// token there that is NaN or +inf, or -1. Blocks are checked with vector
// max and flag reductions; only a block with a bad value is rescanned.
__attribute__((target_clones("avx512f", "avx2", "default"))) int32_t
scanRange(const float *x, int32_t begin, int32_t end, float &maxValue) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  constexpr int32_t kBlock = 256;
  float best = maxValue;
  for (int32_t b = begin; b < end; b += kBlock) {
    int32_t e = b + kBlock < end ? b + kBlock : end;
    float m = best;
    int bad = 0;
#pragma omp simd reduction(max : m) reduction(| : bad)
    for (int32_t t = b; t < e; ++t) {
      m = std::max(m, x[t]);
      bad |= !(x[t] < kInf); // NaN or +inf
    }
    if (bad)
      for (int32_t t = b; t < e; ++t)
        if (!(x[t] < kInf))
          return t;
    best = m;
  }
  maxValue = best;
  return -1;
}

} // namespace

int32_t scanLogitsRow(const float *x, int32_t n, int32_t masked,
                      float &maxValue) {
  maxValue = -std::numeric_limits<float>::infinity();
  if (masked >= 0 && masked < n) {
    int32_t bad = scanRange(x, 0, masked, maxValue);
    return bad >= 0 ? bad : scanRange(x, masked + 1, n, maxValue);
  }
  return scanRange(x, 0, n, maxValue);
}

double logSumExpRow(const float *x, int32_t n, int32_t masked,
                    float maxValue) {
  double sum;
  if (masked >= 0 && masked < n)
    sum = sumExpRange(x, 0, masked, maxValue) +
          sumExpRange(x, masked + 1, n, maxValue);
  else
    sum = sumExpRange(x, 0, n, maxValue);
  return double(maxValue) + std::log(sum);
}

} // namespace txc::runtime
