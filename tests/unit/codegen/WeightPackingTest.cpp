//===- WeightPackingTest.cpp - the GEMM's packed weight layout ------------===//

#include "codegen/WeightPacking.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace txc::codegen {
namespace {

std::vector<float> iota(size_t count) {
  std::vector<float> values(count);
  std::iota(values.begin(), values.end(), 1.0f);
  return values;
}

TEST(WeightPacking, SizeRoundsRowsUpToWholePanels) {
  EXPECT_EQ(packedGemmWeightSize(37, 5, 16), size_t(3 * 5 * 16));
  EXPECT_EQ(packedGemmWeightSize(32, 5, 16), size_t(2 * 5 * 16));
  EXPECT_EQ(packedGemmWeightSize(0, 5, 16), 0u);
  EXPECT_EQ(packedGemmWeightSize(4, 5, 0), 0u);
}

TEST(WeightPacking, PanelsHoldRowsInnermostAndZeroPadding) {
  const int n = 37, k = 5, width = 16;
  std::vector<float> weight = iota(size_t(n) * k);
  std::vector<float> packed(packedGemmWeightSize(n, k, width), -1.0f);
  ASSERT_TRUE(packGemmWeight(weight.data(), n, k, width, packed.data()));
  for (int p = 0; p < 3; ++p)
    for (int kk = 0; kk < k; ++kk)
      for (int j = 0; j < width; ++j) {
        int row = p * width + j;
        float want = row < n ? weight[size_t(row) * k + kk] : 0.0f;
        EXPECT_EQ(packed[(size_t(p) * k + kk) * width + j], want)
            << "panel " << p << " k " << kk << " lane " << j;
      }
}

TEST(WeightPacking, UnpackInvertsPack) {
  for (int width : {1, 8, 16, 32, 48}) {
    const int n = 70, k = 9;
    std::vector<float> weight = iota(size_t(n) * k);
    std::vector<float> packed(packedGemmWeightSize(n, k, width));
    std::vector<float> back(weight.size(), 0.0f);
    ASSERT_TRUE(packGemmWeight(weight.data(), n, k, width, packed.data()));
    ASSERT_TRUE(unpackGemmWeight(packed.data(), n, k, width, back.data()));
    EXPECT_EQ(back, weight) << "panel width " << width;
  }
}

TEST(WeightPacking, RejectsNonPositiveSizes) {
  float value = 0;
  EXPECT_FALSE(packGemmWeight(&value, 1, 1, 0, &value));
  EXPECT_FALSE(packGemmWeight(&value, -1, 1, 8, &value));
  EXPECT_FALSE(unpackGemmWeight(&value, 1, 0, 8, &value));
}

} // namespace
} // namespace txc::codegen
