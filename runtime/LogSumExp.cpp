#include "runtime/LogSumExp.h"

#include "runtime/FloatLanes.h"

#include <cmath>
#include <algorithm>
#include <limits>
#include <type_traits>

namespace txc::runtime {
namespace {

// exp(x) for x <= 0, lane by lane: 2^n * p(r) with x = n ln2 + r,
// |r| <= ln2 / 2, and a degree-6 polynomial (Cephes expf), exact to about
// 1 ulp. Works for float and Floats16 alike.
template <typename F, typename I>
__attribute__((always_inline)) inline F expNonPositive(F x) {
  x = x < -87.0f ? F{} - 87.0f : x;
  F fx = x * 1.44269504088896341f + 0.5f;
  I i;
  F fi, n;
  if constexpr (std::is_same_v<F, float>) {
    i = static_cast<I>(fx);
    i -= static_cast<I>(static_cast<float>(i) > fx);
    n = static_cast<float>(i);
  } else {
    i = __builtin_convertvector(fx, I);
    fi = __builtin_convertvector(i, F);
    i += fi > fx; // floor: true lanes are -1
    n = __builtin_convertvector(i, F);
  }
  F r = x - n * 0.693359375f + n * 2.12194440e-4f;
  F p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  I bits = (i + 127) << 23;
  F scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

__attribute__((always_inline)) inline double sumLanes(Floats16 v) {
  double s = 0;
  for (int l = 0; l < kLanes; ++l)
    s += v[l];
  return s;
}

// Sum of exp(x[t] - maxValue) over [begin, end): blocks of 64 summed in
// float lanes (short, so rounding stays near 1e-7), added up in double.
// Cloned per vector ISA: the runtime is built for any x86-64, the search
// runs on this one.
__attribute__((target_clones("avx512f", "avx2", "default"))) double
sumExpRange(const float *x, int32_t begin, int32_t end, float maxValue) {
  double total = 0;
  int32_t t = begin;
  for (; t + 4 * kLanes <= end; t += 4 * kLanes) {
    Floats16 block = Floats16{};
    for (int32_t v = 0; v < 4; ++v)
      block += expNonPositive<Floats16, Ints16>(load16(x + t + v * kLanes) -
                                                maxValue);
    total += sumLanes(block);
  }
  for (; t < end; ++t)
    total += expNonPositive<float, int32_t>(x[t] - maxValue);
  return total;
}

// Raises `maxValue` to the largest of x[begin, end) and returns the first
// token there that is NaN or +inf, or -1. Lanes keep a running max and a
// flag; only a range with a bad value is rescanned.
__attribute__((target_clones("avx512f", "avx2", "default"))) int32_t
scanRange(const float *x, int32_t begin, int32_t end, float &maxValue) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  auto firstBad = [&](int32_t from, int32_t to) {
    for (int32_t t = from; t < to; ++t)
      if (!(x[t] < kInf)) // NaN or +inf
        return t;
    return int32_t(-1);
  };
  Floats16 best = Floats16{} - kInf;
  Ints16 bad = Ints16{};
  int32_t t = begin;
  for (; t + kLanes <= end; t += kLanes) {
    Floats16 v = load16(x + t);
    bad |= ~(v < kInf); // -1 in lanes holding NaN or +inf
    best = v > best ? v : best;
  }
  for (int l = 0; l < kLanes; ++l)
    if (bad[l])
      return firstBad(begin, end);
  float m = maxValue;
  for (int l = 0; l < kLanes; ++l)
    m = std::max(m, best[l]);
  for (; t < end; ++t) {
    if (!(x[t] < kInf))
      return t;
    m = std::max(m, x[t]);
  }
  maxValue = m;
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
