#include "runtime/KvCache.h"
#include "runtime/PlanExecutor.h"

#include "PlanBuilder.h"

#include <gtest/gtest.h>

#include <random>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

constexpr int64_t kHeads = 2, kDim = 3;

// Entries [rows, heads, 1, dim] whose values encode (row tag, head, pos, i).
std::vector<float> entries(const std::vector<int> &tags, int position) {
  std::vector<float> v;
  for (int tag : tags)
    for (int h = 0; h < kHeads; ++h)
      for (int i = 0; i < kDim; ++i)
        v.push_back(tag * 1000 + h * 100 + position * 10 + i);
  return v;
}

void append(KvCache &cache, const std::vector<int> &tags, int position) {
  std::vector<float> v = entries(tags, position);
  Status s = cache.append(
      TensorView(DType::F32, {int64_t(tags.size()), kHeads, 1, kDim}, v.data()));
  ASSERT_TRUE(s.ok()) << s.message();
}

// Checks row r of the cache holds, at each position p, the entries that
// were appended with tag written[r][p].
void expectEntries(const KvCache &cache,
                   const std::vector<std::vector<int>> &written) {
  TensorView v = cache.view();
  ASSERT_EQ(v.shape[0], int64_t(written.size()));
  for (size_t r = 0; r < written.size(); ++r) {
    ASSERT_EQ(v.shape, (Dims{v.shape[0], kHeads, int64_t(written[r].size()), kDim}));
    for (int h = 0; h < kHeads; ++h)
      for (int p = 0; p < cache.length(); ++p)
        for (int i = 0; i < kDim; ++i) {
          float got = v.f32()[r * v.strides[0] + h * v.strides[1] +
                              p * v.strides[2] + i];
          ASSERT_EQ(got, written[r][p] * 1000 + h * 100 + p * 10 + i)
              << "row " << r << " head " << h << " pos " << p;
        }
  }
}

// Checks row r of the cache holds the entries of tags[r] at every position.
void expectRows(const KvCache &cache, const std::vector<int> &tags) {
  std::vector<std::vector<int>> written;
  for (int tag : tags)
    written.push_back(std::vector<int>(cache.length(), tag));
  expectEntries(cache, written);
}

TEST(KvCache, AppendsInPlace) {
  KvCache cache;
  ASSERT_TRUE(cache.reset(2, 4, kHeads, 5, kDim).ok());
  EXPECT_EQ(cache.view().shape, (Dims{2, kHeads, 0, kDim}));
  void *storage = cache.view().data;
  append(cache, {1, 2}, 0);
  append(cache, {1, 2}, 1);
  EXPECT_EQ(cache.length(), 2);
  EXPECT_EQ(cache.view().data, storage);
  EXPECT_EQ(cache.view().strides, (Dims{5 * kHeads * kDim, kDim, kHeads * kDim, 1}));
  expectRows(cache, {1, 2});
}

TEST(KvCache, RejectsOverflowAndMismatch) {
  KvCache cache;
  ASSERT_TRUE(cache.reset(1, 1, kHeads, 1, kDim).ok());
  append(cache, {1}, 0);
  std::vector<float> v = entries({1}, 1);
  EXPECT_FALSE(cache.append(TensorView(DType::F32, {1, kHeads, 1, kDim}, v.data())).ok());
  std::vector<float> w = entries({1, 2}, 1);
  EXPECT_FALSE(cache.append(TensorView(DType::F32, {2, kHeads, 1, kDim}, w.data())).ok());
  std::vector<float> scratch;
  int32_t origin[] = {1};
  EXPECT_FALSE(cache.reorder(origin, 1, scratch).ok());
}

TEST(KvCache, IdentityReorderCopiesNothing) {
  KvCache cache;
  std::vector<float> scratch;
  ASSERT_TRUE(cache.reset(3, 3, kHeads, 4, kDim).ok());
  append(cache, {1, 2, 3}, 0);
  int32_t identity[] = {0, 1, 2};
  ASSERT_TRUE(cache.reorder(identity, 3, scratch).ok());
  // Rows that keep their place are not copied when others leave.
  ASSERT_TRUE(cache.reorder(identity, 2, scratch).ok());
  EXPECT_EQ(cache.rowsMoved(), 0);
  EXPECT_TRUE(scratch.empty());
  append(cache, {1, 2}, 1);
  expectRows(cache, {1, 2});
}

TEST(KvCache, ReorderExpandsBeams) {
  // Step 0 -> 1 of beam 2: each sentence's row feeds two hypotheses.
  KvCache cache;
  std::vector<float> scratch;
  ASSERT_TRUE(cache.reset(2, 4, kHeads, 4, kDim).ok());
  append(cache, {1, 2}, 0);
  int32_t origin[] = {0, 0, 1, 1};
  ASSERT_TRUE(cache.reorder(origin, 4, scratch).ok());
  expectRows(cache, {1, 1, 2, 2});
  EXPECT_EQ(cache.rowsMoved(), 3);
}

TEST(KvCache, ReorderMatchesGather) {
  // Sentence 0 finished; others swap and duplicate hypotheses.
  KvCache cache;
  std::vector<float> scratch;
  ASSERT_TRUE(cache.reset(6, 6, kHeads, 4, kDim).ok());
  append(cache, {10, 11, 12, 13, 14, 15}, 0);
  append(cache, {10, 11, 12, 13, 14, 15}, 1);
  int32_t origin[] = {3, 2, 2, 5, 4};
  ASSERT_TRUE(cache.reorder(origin, 5, scratch).ok());
  expectRows(cache, {13, 12, 12, 15, 14});
  append(cache, {13, 12, 12, 15, 14}, 2);
  expectRows(cache, {13, 12, 12, 15, 14});
}

TEST(KvCache, ReorderCopiesOnlyPositionsRowsDoNotShare) {
  // Beam 2 of one sentence. Step 1 expands row 0 into both rows; after
  // step 2, row 1's hypothesis dies and row 0 feeds both again. Row 1
  // shares position 0 (the start) and 1 with row 0: only position 2 moves.
  KvCache cache;
  std::vector<float> scratch;
  ASSERT_TRUE(cache.reset(1, 2, kHeads, 4, kDim).ok());
  append(cache, {1}, 0);
  int32_t expand[] = {0, 0};
  ASSERT_TRUE(cache.reorder(expand, 2, scratch).ok());
  EXPECT_EQ(cache.positionsMoved(), 1);
  append(cache, {1, 2}, 1);
  int32_t keep[] = {0, 0};
  ASSERT_TRUE(cache.reorder(keep, 2, scratch).ok());
  EXPECT_EQ(cache.positionsMoved(), 2); // position 1 only
  append(cache, {3, 4}, 2);
  expectEntries(cache, {{1, 1, 3}, {1, 1, 4}});
  ASSERT_TRUE(cache.reorder(keep, 2, scratch).ok());
  EXPECT_EQ(cache.positionsMoved(), 3); // position 2 only
  EXPECT_EQ(cache.rowsMoved(), 3);
  expectEntries(cache, {{1, 1, 3}, {1, 1, 3}});
}

// Random beam steps over several sentences, some finishing, checked against
// a plain copy of every row: skipping shared positions and staging rows
// that are overwritten before they are read give the same entries.
TEST(KvCache, ReordersMatchCopyingWholeRows) {
  KvCache cache;
  std::vector<float> scratch;
  const int sentences = 3, beam = 3, steps = 12;
  ASSERT_TRUE(cache.reset(sentences, sentences * beam, kHeads, steps, kDim).ok());
  std::mt19937 rng(7);
  std::vector<std::vector<int>> written(sentences);
  std::vector<int> rowSentence = {0, 1, 2};
  int tag = 1;
  for (int step = 0; step < steps; ++step) {
    std::vector<int> tags;
    for (auto &row : written) {
      row.push_back(tag);
      tags.push_back(tag++);
    }
    append(cache, tags, step);
    expectEntries(cache, written);
    // Each sentence left keeps `beam` rows taken from its own, in a random
    // order; sentence 1 finishes after step 5.
    std::vector<int32_t> origin;
    std::vector<int> nextSentence;
    for (int s = 0; s < sentences; ++s) {
      if (s == 1 && step >= 5)
        continue;
      std::vector<int32_t> own;
      for (size_t r = 0; r < rowSentence.size(); ++r)
        if (rowSentence[r] == s)
          own.push_back(int32_t(r));
      for (int b = 0; b < beam; ++b) {
        origin.push_back(own[rng() % own.size()]);
        nextSentence.push_back(s);
      }
    }
    std::vector<std::vector<int>> next;
    for (int32_t o : origin)
      next.push_back(written[o]);
    ASSERT_TRUE(cache.reorder(origin.data(), int64_t(origin.size()), scratch).ok());
    written = next;
    rowSentence = nextSentence;
    expectEntries(cache, written);
  }
  EXPECT_LT(cache.positionsMoved(), cache.rowsMoved() * steps);
}

// Long enough that each row's run of positions spans pages, which appends
// touch ahead of their copies: no touch may reach a position already held,
// across reorders and a reset that keeps the storage.
TEST(KvCache, AppendsAcrossPagesKeepEveryPosition) {
  KvCache cache;
  std::vector<float> scratch;
  const int64_t capacity = 700; // a row: 700 * kHeads * kDim floats
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(cache.reset(3, 3, kHeads, capacity, kDim).ok());
    std::vector<int> tags = {1, 2, 3};
    for (int p = 0; p < capacity; ++p) {
      append(cache, tags, p);
      if (p % 97 == 0) {
        int32_t origin[] = {2, 0, 1};
        ASSERT_TRUE(cache.reorder(origin, 3, scratch).ok());
        tags = {tags[2], tags[0], tags[1]};
      }
      if (p % 233 == 0 || p + 1 == capacity)
        expectRows(cache, tags);
    }
  }
  // Positions given by assign are held too.
  ASSERT_TRUE(cache.reset(3, 3, kHeads, capacity, kDim).ok());
  const std::vector<int> tags = {4, 5, 6};
  const int64_t given = 300;
  std::vector<float> value(3 * kHeads * given * kDim);
  for (int r = 0; r < 3; ++r)
    for (int h = 0; h < kHeads; ++h)
      for (int p = 0; p < given; ++p)
        for (int i = 0; i < kDim; ++i)
          value[((r * kHeads + h) * given + p) * kDim + i] =
              tags[r] * 1000 + h * 100 + p * 10 + i;
  ASSERT_TRUE(
      cache.assign(TensorView(DType::F32, {3, kHeads, given, kDim}, value.data()))
          .ok());
  for (int p = given; p < capacity; ++p)
    append(cache, tags, p);
  expectRows(cache, tags);
}

// read(cache, origin) -> append(., update), returned.
PlanFunction cacheStepPlan(bool extraReadUse) {
  FunctionBuilder f("decode_step");
  Dims heads{-1, kHeads, -1, kDim};
  int cache = f.arg(DType::F32, heads);
  int origin = f.arg(DType::I32, {-1});
  int update = f.arg(DType::F32, heads);
  int past = f.step(OpKind::KvCacheRead, {cache, origin}, heads);
  int next = f.step(OpKind::KvCacheAppend, {past, update}, heads);
  std::vector<int> results{next};
  if (extraReadUse)
    results.push_back(f.step(OpKind::Scale, {cache}, heads, {{"factor", 1.0}}));
  f.results(results);
  return f.fn;
}

// Runs cacheStepPlan on `cache` with `origin` and the entries of `tags` at
// `position` as the update.
Status runCacheStep(PlanExecutor &e, KvCache &cache, std::vector<int32_t> origin,
                    const std::vector<int> &tags, int position,
                    std::vector<Binding> &results) {
  std::vector<float> update = entries(tags, position);
  int64_t rows = int64_t(tags.size());
  return e.run({Binding::ofCache(cache),
                Binding::ofTensor(TensorView(DType::I32, {int64_t(origin.size())},
                                             origin.data())),
                Binding::ofTensor(TensorView(DType::F32, {rows, kHeads, 1, kDim},
                                             update.data()))},
               results);
}

TEST(KvCache, ExecutorReadsAndAppendsInPlace) {
  PlanFunction fn = cacheStepPlan(false);
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(fn, {}, {}, {}, e).ok());
  KvCache cache;
  ASSERT_TRUE(cache.reset(2, 4, kHeads, 4, kDim).ok());
  void *storage = cache.view().data;
  std::vector<Binding> results;
  Status s = runCacheStep(*e, cache, {0, 1}, {1, 2}, 0, results);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(results[0].cache, &cache);
  EXPECT_EQ(results[0].tensor.data, storage);
  EXPECT_EQ(e->arenaBytes(), 0);
  expectRows(cache, {1, 2});

  s = runCacheStep(*e, cache, {1, 1, 0}, {2, 2, 1}, 1, results);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(results[0].tensor.shape, (Dims{3, kHeads, 2, kDim}));
  expectRows(cache, {2, 2, 1});
}

TEST(KvCache, ExecutorCopiesWhenTheCacheIsReadTwice) {
  // The cache argument has another use, so reordering it in place would
  // change what that use sees: the executor copies instead.
  PlanFunction fn = cacheStepPlan(true);
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(fn, {}, {}, {}, e).ok());
  KvCache cache;
  ASSERT_TRUE(cache.reset(2, 2, kHeads, 4, kDim).ok());
  append(cache, {1, 2}, 0);
  std::vector<Binding> results;
  Status s = runCacheStep(*e, cache, {1, 0}, {2, 1}, 1, results);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(results[0].cache, nullptr);
  EXPECT_EQ(cache.rowsMoved(), 0);
  EXPECT_EQ(results[1].tensor.f32()[0], 1000.0f); // the unreordered cache
  ASSERT_TRUE(cache.assign(results[0].tensor).ok());
  expectRows(cache, {2, 1});
}

} // namespace
