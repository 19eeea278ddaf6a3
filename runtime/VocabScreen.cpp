#include "runtime/VocabScreen.h"

#include "runtime/FloatLanes.h"
#include "runtime/TokenSelection.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace txc::runtime {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The float nearest above `v`, so a bound stored as float still holds.
float roundedUp(double v) {
  float f = static_cast<float>(v);
  return static_cast<double>(f) < v ? std::nextafter(f, kInf) : f;
}

// All n logits, rescored: the path for rows the bound cannot serve.
int32_t fullArgmax(const float *x, const WeightRows &w, const float *bias,
                   int64_t n, int32_t masked, std::vector<float> &logits) {
  logits.resize(size_t(n));
  for (int64_t v = 0; v < n; ++v)
    logits[v] = rowLogit(x, w, bias, v);
  return argmaxToken(logits.data(), static_cast<int32_t>(n), masked);
}

// Over x[begin, end): the largest value and the largest magnitude (NaN
// left out; -inf and 0 when there is none), and whether every value is
// finite. Cloned per ISA: a scalar max chain costs more than the rest of
// the selection. Only max-shaped selects are used, which every clone
// compiles to vector max instructions.
__attribute__((target_clones("avx512f", "avx2", "default"))) bool
rangeOf(const float *x, int64_t begin, int64_t end, float &largest,
        float &magnitude) {
  Floats16 top = Floats16{} - __builtin_inff(), size = Floats16{};
  Floats16 zeroes = Floats16{}; // x * 0 is NaN only for NaN or inf
  int64_t v = begin;
  for (; v + kLanes <= end; v += kLanes) {
    Floats16 a = load16(x + v), negated = -a;
    top = a > top ? a : top;
    Floats16 m = a > negated ? a : negated;
    size = m > size ? m : size;
    zeroes += a * 0.0f;
  }
  float t = maxLane(top), m = maxLane(size), zero = 0;
  for (int l = 0; l < kLanes; ++l)
    zero += zeroes[l];
  for (; v < end; ++v) {
    t = x[v] > t ? x[v] : t;
    m = x[v] > m ? x[v] : (-x[v] > m ? -x[v] : m);
    zero += x[v] * 0.0f;
  }
  largest = t;
  magnitude = m;
  return zero == 0;
}

// The first v in [begin, end) with x[v] >= cut, or end; NaN is not found.
__attribute__((target_clones("avx512f", "avx2", "default"))) int64_t
firstReaching(const float *x, int64_t begin, int64_t end, float cut) {
  int64_t v = begin;
  for (; v + 4 * kLanes <= end; v += 4 * kLanes) {
    Floats16 a = load16(x + v), b = load16(x + v + kLanes);
    Floats16 c = load16(x + v + 2 * kLanes), d = load16(x + v + 3 * kLanes);
    a = a > b ? a : b;
    c = c > d ? c : d;
    if (maxLane(a > c ? a : c) >= cut)
      break;
  }
  for (; v < end; ++v)
    if (x[v] >= cut)
      return v;
  return end;
}

void prefetchRow(const WeightRows &w, int64_t v) {
  const char *row = reinterpret_cast<const char *>(w.data + v * w.k);
  const int64_t bytes = w.k * int64_t(sizeof(float));
  for (int64_t at = 0; at < bytes; at += 64)
    __builtin_prefetch(row + at);
}

} // namespace

void quantizeScreen(const float *w, int64_t n, int64_t k, int panelWidth,
                    int8_t *screen, float *stats) {
  const int64_t panels = (n + panelWidth - 1) / panelWidth;
  std::fill(screen, screen + panels * k * panelWidth, int8_t(0));
  for (int64_t v = 0; v < n; ++v) {
    const float *row = w + v * k;
    double largest = 0, absSum = 0;
    bool finite = true;
    for (int64_t i = 0; i < k; ++i) {
      finite = finite && std::isfinite(row[i]);
      largest = std::max(largest, double(std::fabs(row[i])));
      absSum += std::fabs(double(row[i]));
    }
    float scale = finite ? static_cast<float>(largest / 127) : 0.0f;
    double error = 0;
    int64_t sum = 0;
    int8_t *panel = screen + (v / panelWidth) * k * panelWidth;
    const int64_t lane = v % panelWidth;
    for (int64_t i = 0; i < k && scale > 0; ++i) {
      double q = std::clamp(std::nearbyint(row[i] / double(scale)), -127.0,
                            127.0);
      error = std::max(error, std::fabs(row[i] - double(scale) * q));
      sum += int64_t(q);
      panel[(i / 4) * 4 * panelWidth + 4 * lane + i % 4] = int8_t(q);
    }
    if (!finite)
      absSum = error = std::numeric_limits<double>::infinity();
    else if (scale == 0)
      error = largest; // all of W is error (underflow: largest < 127 * min)
    stats[kScreenScale * n + v] = scale;
    stats[kScreenSum * n + v] = static_cast<float>(sum);
    stats[kScreenAbsSum * n + v] = roundedUp(absSum);
    stats[kScreenError * n + v] = roundedUp(error);
  }
}

float rowLogit(const float *x, const WeightRows &w, const float *bias,
               int64_t v) {
  const float *row = w.data + v * w.k;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < w.k; ++i)
    sum += x[i] * row[i];
  return bias ? sum + bias[v] : sum;
}

// Why the bound holds. With t = max|x| / 127 and the kernel's
// u - 128 = round(x * 127 / max|x|), each |x_i - t (u_i - 128)| <= 0.5001 t
// and t sum|u_i - 128| <= sum|x_i| + k t / 2, so the real product x . W
// differs from t s sum (u - 128) q by at most
//   0.5001 t sum|W| + maxerr(W) (sum|x| + k t / 2).
// The kernel's float arithmetic on top (an exact integer, two products and
// the bias) adds under 1e-6 (|a| + |b|); the f32 logit the rescoring
// computes, in any order of summation, differs from the real one by at most
// gamma_k max|x| sum|W| with gamma_k = k 2^-24 / (1 - k 2^-24). The margin
// 1e-5 covers the rounding of the bound itself.
ScreenLimits screenLimits(const float *stats, const float *bias,
                          int64_t n) {
  ScreenLimits limits;
  const float *absSums = stats + kScreenAbsSum * n;
  const float *errors = stats + kScreenError * n;
  for (int64_t v = 0; v < n; ++v) {
    float b = bias ? std::fabs(bias[v]) : 0.0f;
    limits.allFinite = limits.allFinite && std::isfinite(absSums[v]) &&
                       std::isfinite(errors[v]) && std::isfinite(b);
    limits.absSum = std::max(limits.absSum, absSums[v]);
    limits.error = std::max(limits.error, errors[v]);
    limits.bias = std::max(limits.bias, b);
  }
  return limits;
}

int32_t screenedArgmax(const float *x, const float *approx,
                       const float *stats, const ScreenLimits &limits,
                       const WeightRows &w, const float *bias, int64_t n,
                       int32_t masked, ScreenScratch &scratch) {
  const int64_t k = w.k;
  double largest = 0, absSum = 0;
  for (int64_t i = 0; i < k; ++i) {
    largest = std::max(largest, double(std::fabs(x[i])));
    absSum += std::fabs(double(x[i]));
  }
  const double unit = std::ldexp(1.0, -24) * double(k);
  if (!std::isfinite(absSum) || largest == 0 || unit >= 0.5)
    return fullArgmax(x, w, bias, n, masked, scratch.values);
  const double t = largest / 127;
  const double margin = 1 + 1e-5;
  const float perAbsSum =
      float((0.5001 * t + unit / (1 - unit) * largest) * margin);
  const float perError =
      float((absSum * (1 + 1e-6) + 0.5 * double(k) * t) * margin);
  const float relative = float(1e-6 * margin);
  const float *absSums = stats + kScreenAbsSum * n;
  const float *errors = stats + kScreenError * n;
  // Token v's logit is within bound(v) of approx[v]. Every term grows with
  // its inputs, so the same sum over the largest inputs bounds them all.
  auto boundOf = [&](float absSumW, float error, float magnitude, float b) {
    return perAbsSum * absSumW + perError * error + relative * (magnitude + b) +
           1e-30f;
  };
  auto bound = [&](int64_t v) {
    return boundOf(absSums[v], errors[v], std::fabs(approx[v]),
                   bias ? std::fabs(bias[v]) : 0.0f);
  };

  // The threshold is the lower bound of the token with the largest
  // approximate logit: at most the largest f32 logit. NaN is skipped here.
  const int64_t skip = masked >= 0 && masked < n ? masked : n;
  const int64_t rest = std::min(skip + 1, n);
  float top, magnitude, restTop, restMagnitude;
  bool finite = rangeOf(approx, 0, skip, top, magnitude) &
                rangeOf(approx, rest, n, restTop, restMagnitude);
  top = std::max(top, restTop);
  magnitude = std::max(magnitude, restMagnitude);
  if (!std::isfinite(top))
    return fullArgmax(x, w, bias, n, masked, scratch.values);
  // The first token holding `top` (the masked one is not a token here).
  int64_t topAt = firstReaching(approx, 0, n, top);
  if (topAt == skip)
    topAt = firstReaching(approx, rest, n, top);
  if (topAt == n)
    return fullArgmax(x, w, bias, n, masked, scratch.values);
  const float threshold = top - bound(topAt);
  if (!std::isfinite(threshold))
    return fullArgmax(x, w, bias, n, masked, scratch.values);

  // A token is a candidate when its upper bound reaches the threshold; NaN
  // counts as reaching it. Tokens whose approximate logit lies below the
  // threshold by more than the widest bound are passed over without reading
  // their own bound; with a NaN approximation in the row, or bounds not all
  // finite, every token's bound is read.
  const bool skips = limits.allFinite && finite;
  // Rounding is monotone, so no token's float bound exceeds the widest; the
  // slack (a thousandth of it, and 1e-6 of the values, some 16 ulps) covers
  // the rounding of the cut itself.
  const float widest =
      boundOf(limits.absSum, limits.error, magnitude, limits.bias);
  const float cut =
      skips ? threshold - (widest * 1.001f +
                           1e-6f * (std::fabs(threshold) + magnitude))
            : -kInf;
  // The scan for the next token to check exactly; it never passes over NaN
  // because rows holding one scan every token.
  auto next = [&](int64_t from) {
    return skips ? firstReaching(approx, from, n, cut) : from;
  };
  std::vector<int32_t> &candidates = scratch.candidates;
  candidates.clear();
  for (int64_t v = next(0); v < n; v = next(v + 1))
    if (!(approx[v] + bound(v) < threshold) && v != skip)
      candidates.push_back(static_cast<int32_t>(v));
  if (int64_t(candidates.size()) > n / 8)
    return fullArgmax(x, w, bias, n, masked, scratch.values);

  // The candidates' rows are scattered through W: asking for all of them
  // first overlaps their trips to memory.
  for (int32_t v : candidates)
    prefetchRow(w, v);

  // Candidates are in id order, so the first of equal logits wins. A token
  // the screen left out has a finite logit below the threshold.
  float best = -kInf;
  int32_t token = kNoFiniteLogit;
  for (int32_t v : candidates) {
    float logit = rowLogit(x, w, bias, v);
    if (std::isnan(logit) || logit == kInf)
      return kNonFiniteLogit;
    if (logit > best) {
      best = logit;
      token = v;
    }
  }
  return token;
}

} // namespace txc::runtime
