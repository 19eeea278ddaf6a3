// Sixteen floats in one value, with GCC's vector extensions, for the row
// scans of the search (LogSumExp, TokenSelection, VocabScreen): each
// target_clones clone compiles them to its ISA's registers (one zmm, two
// ymm, four xmm), which plain loops there do not reliably get from the
// auto-vectorizer. Use them only inside functions cloned per ISA.
#pragma once

#include <cstdint>

namespace txc::runtime {

// The helpers taking and returning lanes are always inlined into the
// clones, so no call passes them across an ISA boundary.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float Floats16 __attribute__((vector_size(64)));
typedef int32_t Ints16 __attribute__((vector_size(64)));
inline constexpr int32_t kLanes = 16;

__attribute__((always_inline)) inline Floats16 load16(const float *x) {
  Floats16 v;
  __builtin_memcpy(&v, x, sizeof v);
  return v;
}

__attribute__((always_inline)) inline float maxLane(Floats16 v) {
  float m = v[0];
  for (int l = 1; l < kLanes; ++l)
    m = v[l] > m ? v[l] : m;
  return m;
}

} // namespace txc::runtime
