// The normalizer of a log-softmax over a vocabulary row, computed fast: the
// decoder's search needs it for every row of every step, and a scalar
// double exp over 32000 logits per row costs more than the output GEMM.
#pragma once

#include <cstdint>

namespace txc::runtime {

// Scans `x[0..n)` leaving out token `masked` (none when negative): sets
// `maxValue` to the largest value (-inf if none is finite) and returns the
// first token that is NaN or +inf, or -1 when there is none.
int32_t scanLogitsRow(const float *x, int32_t n, int32_t masked,
                      float &maxValue);

// log(sum over t != masked of exp(x[t])), for a row whose largest value is
// the finite `maxValue`. Relative error about 1e-7: exp is evaluated in
// float, in vector lanes, and the sum is accumulated in double.
double logSumExpRow(const float *x, int32_t n, int32_t masked, float maxValue);

} // namespace txc::runtime
