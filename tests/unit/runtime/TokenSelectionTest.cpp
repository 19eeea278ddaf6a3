#include "runtime/TokenSelection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using namespace txc::runtime;

namespace {

const float kInf = std::numeric_limits<float>::infinity();

// The k best of a row by a full sort: logit descending, then id ascending.
std::vector<int32_t> sortedBest(const std::vector<float> &row, int32_t masked,
                                size_t k) {
  std::vector<int32_t> ids;
  for (int32_t t = 0; t < int32_t(row.size()); ++t)
    if (t != masked && row[t] != -kInf)
      ids.push_back(t);
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  ids.resize(std::min(k, ids.size()));
  return ids;
}

TEST(TokenSelection, TopTokensMatchesAFullSortOnLongRows) {
  std::mt19937 rng(5);
  // Few distinct values, so ties cross the 64-token blocks the scan skips.
  std::uniform_int_distribution<int> level(0, 40);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> row(3001);
    for (float &v : row)
      v = float(level(rng)) * 0.25f;
    int32_t masked = trial % 2 ? int32_t(rng() % row.size()) : -1;
    for (int32_t k : {1, 2, 5, 17}) {
      std::vector<TokenLogit> out(k);
      int32_t n = topTokens(row.data(), int32_t(row.size()), masked, k,
                            out.data());
      std::vector<int32_t> want = sortedBest(row, masked, k);
      ASSERT_EQ(n, int32_t(want.size()));
      for (int32_t i = 0; i < n; ++i) {
        EXPECT_EQ(out[i].token, want[i]) << "trial " << trial << " k " << k;
        EXPECT_EQ(out[i].logit, row[want[i]]);
      }
    }
  }
}

TEST(TokenSelection, TopTokensLeavesOutMaskedAndMinusInf) {
  std::vector<float> row = {-kInf, 2, -kInf, 7, 1};
  std::vector<TokenLogit> out(4);
  ASSERT_EQ(topTokens(row.data(), 5, 3, 4, out.data()), 2);
  EXPECT_EQ(out[0].token, 1);
  EXPECT_EQ(out[1].token, 4);
}

TEST(TokenSelection, LogSoftmaxTopKRecords) {
  std::vector<float> row = {1, 3, 3, -kInf, 0};
  std::vector<float> records(2 * 5);
  logSoftmaxTopK(row.data(), 5, 0, 5, records.data());
  double logSum = std::log(std::exp(3.0) * 2 + std::exp(0.0));
  // Best first, the lower id on the tie; masked and -inf missing.
  int32_t ids[] = {1, 2, 4, -1, -1};
  double values[] = {3 - logSum, 3 - logSum, 0 - logSum, -INFINITY, -INFINITY};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(records[2 * i + 1], float(ids[i])) << i;
    if (std::isinf(values[i]))
      EXPECT_EQ(records[2 * i], -kInf);
    else
      EXPECT_NEAR(records[2 * i], values[i], 1e-6);
  }
}

TEST(TokenSelection, BadRowsAreFlagged) {
  std::vector<float> nan = {0, std::nanf(""), 1};
  std::vector<float> plusInf = {0, kInf, 1};
  std::vector<float> none = {-kInf, -kInf, 5};
  EXPECT_EQ(argmaxToken(nan.data(), 3, -1), kNonFiniteLogit);
  EXPECT_EQ(argmaxToken(plusInf.data(), 3, -1), kNonFiniteLogit);
  EXPECT_EQ(argmaxToken(none.data(), 3, 2), kNoFiniteLogit);
  EXPECT_EQ(argmaxToken(none.data(), 3, -1), 2);
  // A NaN under the masked token does not count.
  EXPECT_EQ(argmaxToken(nan.data(), 3, 1), 2);
  std::vector<float> records(4);
  logSoftmaxTopK(nan.data(), 3, -1, 2, records.data());
  EXPECT_TRUE(std::isnan(records[0]));
}

} // namespace
