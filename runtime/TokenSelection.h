// Choosing tokens from one row of decoder logits the way the decoding rules
// of DESIGN.md order them: by logit, the lower id first on ties. The search
// over raw logits, the runtime's fused output ops (txc.argmax,
// txc.log_softmax_top_k) and the reference evaluator all use these, so every
// path picks the same tokens.
#pragma once

#include <cstdint>

namespace txc::runtime {

// What argmaxToken returns for a row it cannot choose from.
inline constexpr int32_t kNoFiniteLogit = -1;  // every logit -inf or masked
inline constexpr int32_t kNonFiniteLogit = -2; // a logit is NaN or +inf

// The lowest id holding the largest of x[0..n), token `masked` (none when
// negative) left out; or one of the two codes above.
int32_t argmaxToken(const float *x, int32_t n, int32_t masked);

struct TokenLogit {
  float logit;
  int32_t token;
};

// Writes the up to `k` best tokens of x[0..n) to out[0..), best first,
// leaving out `masked` and -inf logits; returns how many. Needs a row
// without NaN or +inf (scanLogitsRow checks that).
int32_t topTokens(const float *x, int32_t n, int32_t masked, int32_t k,
                  TokenLogit *out);

// txc.log_softmax_top_k for one row: writes k records (log-softmax value,
// token id as float) to records[0..2k), best first, missing ones (-inf, -1);
// a row holding NaN or +inf gets NaN values.
void logSoftmaxTopK(const float *x, int32_t n, int32_t masked, int32_t k,
                    float *records);

} // namespace txc::runtime
