// The tiles tile-ffn gives every GEMM. The GEMM kernel's defaults and the
// GEMM benchmark use the same rules, so the benchmark times the kernels a
// compiled model runs.
#pragma once

#include <algorithm>
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

/// Panels of `panelWidth` columns per parallel task of an n x k GEMM: as
/// many as fill half of an L2 of `l2Bytes`, but no more than a thirty-second
/// of all panels. A decoder step's GEMM is tens of microseconds, and a
/// thread that starts late (a wake-up, the machine's other load) leaves the
/// other a task more to run: with 8 tasks that is an eighth of the GEMM
/// (measured: 32 tasks cut greedy's decoder GEMMs by about 8%).
inline int64_t gemmPanelsPerTask(int64_t n, int64_t k, int64_t panelWidth,
                                 int64_t l2Bytes) {
  int64_t panels = (n + panelWidth - 1) / panelWidth;
  int64_t panelBytes = k * panelWidth * int64_t(sizeof(float));
  int64_t byCache = std::max<int64_t>(1, (l2Bytes / 2) / panelBytes);
  int64_t byTasks = std::max<int64_t>(1, panels / 32);
  return std::min(byCache, byTasks);
}

} // namespace txc
