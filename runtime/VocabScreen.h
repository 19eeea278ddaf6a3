// The int8 screen of a greedy output projection. Finding the argmax of
// x . W^T + b over a 32000-token vocabulary needs every logit only to rule
// tokens out, and a logit known to within a proven bound rules a token out
// as well. So the projection runs in int8 (four times the f32 rate, a
// quarter of the bytes) and gives each logit an interval; only the tokens
// whose interval reaches the best lower bound are rescored in f32, and the
// argmax of those is the argmax of the f32 logits.
//
// Layouts (codegen writes them at compile time, the kernel reads them):
//   screen  [ceil(n / P), k / 4, 4 * P] signed bytes, stored as i32 words:
//           screen[p][c][4 j + i] = q[p P + j][4 c + i], zero past row n;
//   stats   [4, n] f32, one plane each: per row of W its scale s (W ~ s q,
//           |q| <= 127), the sum of q, the sum of |W| and the largest
//           |W - s q|, the last two rounded up.
// A row of x is quantized as x ~ t (u - 128), t = max|x| / 127, u in
// [1, 255]; the kernel's approximate logit is t s (sum u q - 128 sum q) + b.
#pragma once

#include <cstdint>
#include <vector>

namespace txc::runtime {

// The planes of `stats`.
enum ScreenStat { kScreenScale, kScreenSum, kScreenAbsSum, kScreenError,
                  kScreenStats };

// Quantizes W [n, k] (k a multiple of 4) into `screen` (the layout above,
// panels of `panelWidth` rows) and `stats` [4, n]. A row holding NaN or inf
// gets an infinite bound, so the screen always keeps its token.
void quantizeScreen(const float *w, int64_t n, int64_t k, int panelWidth,
                    int8_t *screen, float *stats);

// The f32 rows of W the rescoring reads, row-major [n, k]: it reads a few
// scattered rows, which in GEMM panels would cost a cache line per element.
struct WeightRows {
  const float *data = nullptr;
  int64_t k = 0;
};

// The f32 logit x . W[v] + b[v] (b may be null).
float rowLogit(const float *x, const WeightRows &w, const float *bias,
               int64_t v);

// The largest per-token inputs of the bound over a vocabulary, |b| among
// them: one bound over them serves every token, so most tokens are ruled
// out without reading their stats. When a token's are not finite,
// `allFinite` is false and every token's own bound is read.
struct ScreenLimits {
  float absSum = 0, error = 0, bias = 0;
  bool allFinite = true;
};
ScreenLimits screenLimits(const float *stats, const float *bias, int64_t n);

// The greedy token of one row x [k] given `approx` [n], the kernel's
// approximate logits with bias: the lowest id among the largest f32 logits,
// `masked` (none when negative) left out, with argmaxToken's codes for rows
// it cannot choose from (TokenSelection.h); `limits` are those of `stats`
// and `bias`. Rows the bound cannot serve (x
// not finite or zero, or too many candidates) are rescored in full; the
// answer is the same either way. `scratch` is reused between calls.
struct ScreenScratch {
  std::vector<float> values;
  std::vector<int32_t> candidates;
};
int32_t screenedArgmax(const float *x, const float *approx,
                       const float *stats, const ScreenLimits &limits,
                       const WeightRows &w, const float *bias, int64_t n,
                       int32_t masked, ScreenScratch &scratch);

} // namespace txc::runtime
