// The register tile tile-ffn gives every GEMM, shared with the GEMM
// benchmark so that it times the kernels a compiled model runs.
#pragma once

#include <cstdint>

namespace txc {

/// Rows of a GEMM register tile over panels of 2 vectors of `vectorWidth`
/// floats. 8 x 2 accumulators plus a row of weights and a broadcast fit
/// AVX-512's 32 vector registers (4 x 2 for AVX2's 16); and 8 divides the
/// row counts of decoder steps (32 sentences, x 4 for a beam), which then
/// run in whole tiles where 6 recomputed a tile's worth of rows.
inline int64_t gemmTileRows(int64_t vectorWidth) {
  return vectorWidth >= 16 ? 8 : 4;
}

} // namespace txc
