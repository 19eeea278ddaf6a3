//===- ScreenLogitsTest.cpp - the int8 vocabulary screen, end to end ------===//
//
// The screen kernel against its integer definition, and the screened argmax
// (kernel, bound, rescoring) against the argmax of every f32 logit, on rows
// built to be hard: near-ties one float apart, masked winners, weights and
// inputs that are not finite.

#include "TensorTestUtils.h"

#include "codegen/kernels/ScreenLogits.h"
#include "runtime/TokenSelection.h"
#include "runtime/VocabScreen.h"

#include <cmath>
#include <limits>
#include <string>

namespace txc::codegen {
namespace {

using namespace testing;
using runtime::ScreenScratch;
using runtime::WeightRows;

constexpr int kPanel = 32;

// A weight [n, k] with its screen, stats and a bias.
struct ScreenedWeight {
  int n, k;
  std::vector<float> w, bias;
  std::vector<int8_t> screen;
  std::vector<float> stats;

  ScreenedWeight(int n, int k, std::mt19937 &rng) : n(n), k(k) {
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    w.resize(size_t(n) * k);
    bias.resize(n);
    for (float &v : w)
      v = u(rng);
    for (float &v : bias)
      v = u(rng);
  }
  void quantize() {
    int panels = (n + kPanel - 1) / kPanel;
    screen.assign(size_t(panels) * k * kPanel, 0);
    stats.assign(size_t(runtime::kScreenStats) * n, 0.0f);
    runtime::quantizeScreen(w.data(), n, k, kPanel, screen.data(),
                            stats.data());
  }
  WeightRows rows() const { return {w.data(), k}; }
  // The kernel's definition, in plain integer arithmetic.
  float approxLogit(const float *x, int v) const {
    float largest = 0;
    for (int i = 0; i < k; ++i)
      largest = std::max(largest, std::fabs(x[i]));
    float inverse = largest > 0 ? 127.0f / largest : 0.0f;
    const int8_t *panel = screen.data() + size_t(v / kPanel) * k * kPanel;
    int64_t dot = 0;
    for (int i = 0; i < k; ++i) {
      float u = std::clamp(std::nearbyint(x[i] * inverse), -127.0f, 127.0f);
      dot += int64_t(u) * panel[(i / 4) * 4 * kPanel + 4 * (v % kPanel) + i % 4];
    }
    return float(dot) * ((largest / 127.0f) * stats[v]) + bias[v];
  }
  // The argmax of every f32 logit, as the runtime's rescoring computes them.
  int32_t exactArgmax(const float *x, int32_t masked) const {
    std::vector<float> logits(n);
    for (int v = 0; v < n; ++v)
      logits[v] = runtime::rowLogit(x, rows(), bias.data(), v);
    return runtime::argmaxToken(logits.data(), n, masked);
  }
};

TEST(ScreenLogitsKernel, MatchesItsIntegerDefinition) {
  std::mt19937 rng(5);
  const int n = 1000, k = 64; // a partial last panel
  ScreenedWeight weight(n, k, rng);
  weight.quantize();
  ScreenLogitsParams params;
  params.n = n;
  params.k = k;
  params.bias = true;
  ScreenLogitsPipeline kernel = buildScreenLogits(params, jitTarget());
  int panels = (n + kPanel - 1) / kPanel;
  Halide::Buffer<int8_t> screen(weight.screen.data(), 4 * kPanel, k / 4,
                                panels);
  Halide::Buffer<float> stats(weight.stats.data(), n, runtime::kScreenStats);
  Halide::Buffer<float> bias(weight.bias.data(), n);
  for (int rows : {0, 1, 5, 9, 20}) {
    Halide::Buffer<float> x = randomTensor({rows, k}, rng, -3, 3);
    if (rows > 1)
      for (int i = 0; i < k; ++i)
        x(i, 1) = 0.0f; // a zero row quantizes to zeros
    Halide::Buffer<float> out = tensor({rows, n});
    kernel.input.set(x);
    kernel.screen.set(screen);
    kernel.stats.set(stats);
    kernel.bias.set(bias);
    kernel.pipeline.realize(out);
    std::vector<float> xs = elements(x), want;
    for (int r = 0; r < rows; ++r)
      for (int v = 0; v < n; ++v)
        want.push_back(weight.approxLogit(xs.data() + r * k, v));
    EXPECT_TRUE(closeTo(out, want, 1e-6)) << rows << " rows";
  }
}

// The screened argmax of `x` with approximate logits from the definition
// the kernel test checks. Without `skipping`, the limits claim a bound that
// is not finite, so every token's own bound is read; `candidates` receives
// the tokens rescored.
int32_t screened(const ScreenedWeight &weight, const float *x, int32_t masked,
                 bool skipping = true,
                 std::vector<int32_t> *candidates = nullptr) {
  std::vector<float> approx(weight.n);
  for (int v = 0; v < weight.n; ++v)
    approx[v] = weight.approxLogit(x, v);
  ScreenScratch scratch;
  const float *bias = weight.bias.data();
  runtime::ScreenLimits limits =
      runtime::screenLimits(weight.stats.data(), bias, weight.n);
  limits.allFinite = limits.allFinite && skipping;
  int32_t token = runtime::screenedArgmax(x, approx.data(),
                                          weight.stats.data(), limits,
                                          weight.rows(), bias, weight.n,
                                          masked, scratch);
  if (candidates)
    *candidates = scratch.candidates;
  return token;
}

// Expects the screen to choose the f32 argmax of row `x`, as it is and
// with that argmax masked.
void expectScreenedArgmax(const ScreenedWeight &weight, const float *x,
                          const std::string &label) {
  int32_t best = weight.exactArgmax(x, -1);
  EXPECT_EQ(screened(weight, x, -1), best) << label;
  EXPECT_EQ(screened(weight, x, best), weight.exactArgmax(x, best)) << label;
}

TEST(ScreenedArgmax, FindsTheF32ArgmaxOnNearTies) {
  std::mt19937 rng(9);
  const int n = 2000, k = 512;
  ScreenedWeight weight(n, k, rng);
  // Pairs of rows one float apart: their logits differ in the last bits,
  // far inside the screen's bound, so only the rescoring can tell them.
  for (int pair = 0; pair < 40; ++pair) {
    int a = int(rng() % n), b = int(rng() % n);
    std::copy_n(&weight.w[size_t(a) * k], k, &weight.w[size_t(b) * k]);
    float &e = weight.w[size_t(b) * k + rng() % k];
    e = std::nextafter(e, pair % 2 ? 1.0f : -1.0f);
    weight.bias[b] = weight.bias[a];
  }
  weight.quantize();
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> x(k);
  for (int row = 0; row < 120; ++row) {
    for (float &v : x)
      v = u(rng);
    int32_t best = weight.exactArgmax(x.data(), -1);
    for (int32_t masked : {-1, best, int32_t(rng() % n)})
      EXPECT_EQ(screened(weight, x.data(), masked),
                weight.exactArgmax(x.data(), masked))
          << "row " << row << ", masked " << masked;
    // Aim the next row at a pair: x along the shared row makes it win.
    int a = int(rng() % n);
    for (int i = 0; i < k; ++i)
      x[i] = weight.w[size_t(a) * k + i] * 8;
    expectScreenedArgmax(weight, x.data(), "aimed row " + std::to_string(row));
  }
}

// Clusters of rows within a quantization step of each other: the int8
// logits rank them almost at random, so a bound that undercounts the error
// drops the f32 winner.
TEST(ScreenedArgmax, FindsTheF32ArgmaxInsideAQuantizationStep) {
  std::mt19937 rng(21);
  const int n = 1024, k = 256, clusters = 8, members = 64;
  ScreenedWeight weight(n, k, rng);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  for (int c = 0; c < clusters; ++c) {
    const float *base = &weight.w[size_t(c * members) * k];
    float step = 0;
    for (int i = 0; i < k; ++i)
      step = std::max(step, std::fabs(base[i]) / 127);
    for (int m = 1; m < members; ++m) {
      float *row = &weight.w[size_t(c * members + m) * k];
      for (int i = 0; i < k; ++i)
        row[i] = base[i] + step * noise(rng);
      weight.bias[c * members + m] = weight.bias[c * members];
    }
  }
  weight.quantize();
  std::vector<float> x(k);
  for (int row = 0; row < 64; ++row) {
    const float *base = &weight.w[size_t((row % clusters) * members) * k];
    for (int i = 0; i < k; ++i)
      x[i] = base[i] * 4 + 0.05f * noise(rng);
    expectScreenedArgmax(weight, x.data(), "row " + std::to_string(row));
  }
}

// The scan passes over tokens by the widest bound alone; it must never pass
// over one whose own bound makes it a candidate. Rows aimed between cluster
// members put many tokens at the edge of the window.
TEST(ScreenedArgmax, SkippingPassesOverNoCandidate) {
  std::mt19937 rng(5);
  const int n = 1536, k = 128, members = 48;
  ScreenedWeight weight(n, k, rng);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  for (int m = 1; m < members; ++m)
    for (int i = 0; i < k; ++i)
      weight.w[size_t(m) * k + i] = weight.w[i] * (1 + 0.02f * noise(rng));
  weight.quantize();
  std::vector<float> x(k);
  size_t compared = 0;
  for (int row = 0; row < 48; ++row) {
    for (int i = 0; i < k; ++i)
      x[i] = row % 2 ? noise(rng) : weight.w[i] * (1 + row) + 0.1f * noise(rng);
    std::vector<int32_t> skipped, all;
    int32_t a = screened(weight, x.data(), -1, true, &skipped);
    int32_t b = screened(weight, x.data(), -1, false, &all);
    EXPECT_EQ(a, b) << "row " << row;
    EXPECT_EQ(skipped, all) << "row " << row;
    compared += all.size();
  }
  EXPECT_GT(compared, size_t(48)); // rows with more than one candidate
}

TEST(ScreenedArgmax, KeepsTheCodesForRowsItCannotChooseFrom) {
  std::mt19937 rng(13);
  const int n = 200, k = 32;
  const float inf = std::numeric_limits<float>::infinity();
  ScreenedWeight weight(n, k, rng);
  weight.w[size_t(17) * k + 3] = std::nanf(""); // token 17's logit is NaN
  weight.quantize();
  std::vector<float> x(k, 0.25f);
  EXPECT_EQ(screened(weight, x.data(), -1), runtime::kNonFiniteLogit);
  // Masked, the NaN token no longer counts.
  EXPECT_EQ(screened(weight, x.data(), 17), weight.exactArgmax(x.data(), 17));

  ScreenedWeight clean(n, k, rng);
  clean.quantize();
  EXPECT_EQ(screened(clean, x.data(), -1), clean.exactArgmax(x.data(), -1));
  std::vector<float> zero(k, 0.0f);
  EXPECT_EQ(screened(clean, zero.data(), -1),
            clean.exactArgmax(zero.data(), -1));
  std::vector<float> infinite(k, 1.0f);
  infinite[5] = inf;
  EXPECT_EQ(screened(clean, infinite.data(), -1),
            clean.exactArgmax(infinite.data(), -1));
  clean.bias[40] = inf; // +inf logit
  EXPECT_EQ(screened(clean, x.data(), -1), runtime::kNonFiniteLogit);
  clean.bias[40] = -inf; // never chosen
  EXPECT_EQ(screened(clean, x.data(), -1), clean.exactArgmax(x.data(), -1));
  // A NaN approximation (NaN bias) anywhere in a scanned block, or in the
  // tail past the last whole block, is found.
  for (int token : {0, 1, 40, 63, 64, 100, 130, 191, 195, 199}) {
    clean.bias[40] = 0.0f;
    const float saved = clean.bias[token];
    clean.bias[token] = std::nanf("");
    EXPECT_EQ(screened(clean, x.data(), -1), runtime::kNonFiniteLogit)
        << "NaN bias at token " << token;
    clean.bias[token] = saved;
  }
}

} // namespace
} // namespace txc::codegen
