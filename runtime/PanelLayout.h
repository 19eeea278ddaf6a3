// The panel layout of weights packed for the GEMM (codegen/WeightPacking.h
// writes it): an [n, k] matrix W stored as [ceil(n / P), k, P] with
//   packed[p][c][j] = W[p * P + j][c],
// the last panel padded with zero rows. The runtime reads it back for its
// own linear and for embedding lookups that gather rows from the panels.
#pragma once

#include "runtime/Tensor.h"

#include <cstdint>

namespace txc::runtime {

// Where W[row][col] lies in the packing of a k-column matrix in panels of
// `width` rows.
inline int64_t panelOffset(int64_t row, int64_t col, int64_t k,
                           int64_t width) {
  return ((row / width) * k + col) * width + row % width;
}

// Whether `packed` is the panel shape [ceil(rows / P), k, P] of a matrix of
// `rows` > 0 rows (any k >= 0, P > 0).
inline bool panelsHoldRows(const Dims &packed, int64_t rows) {
  return packed.size() == 3 && rows > 0 && packed[1] >= 0 && packed[2] > 0 &&
         (rows + packed[2] - 1) / packed[2] == packed[0];
}

} // namespace txc::runtime
