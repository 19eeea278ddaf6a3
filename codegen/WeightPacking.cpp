//===- WeightPacking.cpp - weight layouts the kernels read ----------------===//

#include "codegen/WeightPacking.h"

#include <algorithm>

namespace txc::codegen {

namespace {

int64_t panelCount(int64_t n, int panelWidth) {
  return (n + panelWidth - 1) / panelWidth;
}

bool validSizes(int64_t n, int64_t k, int panelWidth) {
  return n > 0 && k > 0 && panelWidth > 0;
}

} // namespace

size_t packedGemmWeightSize(int64_t n, int64_t k, int panelWidth) {
  if (!validSizes(n, k, panelWidth))
    return 0;
  return static_cast<size_t>(panelCount(n, panelWidth) * k * panelWidth);
}

bool packGemmWeight(const float *weight, int64_t n, int64_t k, int panelWidth,
                    float *packed) {
  if (!validSizes(n, k, panelWidth))
    return false;
  for (int64_t p = 0, panels = panelCount(n, panelWidth); p < panels; ++p) {
    float *panel = packed + p * k * panelWidth;
    int64_t rows = std::min<int64_t>(panelWidth, n - p * panelWidth);
    for (int64_t kk = 0; kk < k; ++kk) {
      float *line = panel + kk * panelWidth;
      for (int64_t j = 0; j < rows; ++j)
        line[j] = weight[(p * panelWidth + j) * k + kk];
      std::fill(line + rows, line + panelWidth, 0.0f);
    }
  }
  return true;
}

bool unpackGemmWeight(const float *packed, int64_t n, int64_t k,
                      int panelWidth, float *weight) {
  if (!validSizes(n, k, panelWidth))
    return false;
  for (int64_t row = 0; row < n; ++row) {
    const float *panel = packed + (row / panelWidth) * k * panelWidth;
    for (int64_t kk = 0; kk < k; ++kk)
      weight[row * k + kk] = panel[kk * panelWidth + row % panelWidth];
  }
  return true;
}

} // namespace txc::codegen
