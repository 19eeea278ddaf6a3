#include "runtime/HeadBlocks.h"
#include "runtime/PlanExecutor.h"

#include "PlanBuilder.h"

#include <gtest/gtest.h>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

// The encoder's cross-attention K and V, scaled down: packed rows of
// d = 8 unpacked to [b, s, 8], sliced into K (offset 0) and V (offset 4),
// each split into 2 heads of width 2.
struct CrossKv {
  FunctionBuilder f{"encode"};
  int packed, lengths, like, unpacked, k, v, kHeads, vHeads;

  CrossKv() {
    packed = f.arg(DType::F32, {-1, 8});
    lengths = f.arg(DType::I32, {-1});
    like = f.arg(DType::I32, {-1, -1});
    unpacked = f.step(OpKind::UnpackRows, {packed, lengths, like}, {-1, -1, 8});
    k = slice(0, 4);
    v = slice(4, 4);
    kHeads = split(k, 2);
    vHeads = split(v, 2);
    f.results({kHeads, vHeads});
  }
  int slice(int64_t offset, int64_t size) {
    return f.step(OpKind::Slice, {unpacked}, {-1, -1, size},
                  {{"offset", offset}, {"size", size}});
  }
  int split(int of, int64_t heads) {
    return f.step(OpKind::SplitHeads, {of}, {-1, heads, -1, 8 / (2 * heads)},
                  {{"heads", heads}});
  }
};

// Steps 0-2 are the unpack and K's and V's slices, 3-4 their heads.
const std::vector<int64_t> kAllBlocked{2, 2, 2, 2, 2};
const std::vector<int64_t> kNoneBlocked{0, 0, 0, 0, 0};

TEST(HeadBlocks, FindsUnpacksReadOnlyAsHeadsOfOneWidth) {
  CrossKv plan;
  EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn), kAllBlocked);
}

TEST(HeadBlocks, LeavesUnpacksReadAnyOtherWay) {
  {
    CrossKv plan; // the unpacked tensor is returned too
    plan.f.results({plan.kHeads, plan.vHeads, plan.unpacked});
    EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn), kNoneBlocked);
  }
  {
    CrossKv plan; // a slice is returned
    plan.f.results({plan.kHeads, plan.v});
    EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn), kNoneBlocked);
  }
  {
    CrossKv plan; // a slice read by something other than split_heads
    int merged = plan.f.step(OpKind::Add, {plan.v, plan.v}, {-1, -1, 4});
    plan.f.results({plan.kHeads, merged});
    EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn),
              (std::vector<int64_t>{0, 0, 0, 0, 0, 0}));
  }
  {
    CrossKv plan; // heads read within the function, not returned
    int heads = plan.f.step(OpKind::Add, {plan.kHeads, plan.vHeads},
                            {-1, 2, -1, 2});
    plan.f.results({heads});
    EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn),
              (std::vector<int64_t>{0, 0, 0, 0, 0, 0}));
  }
  {
    CrossKv plan; // K in heads of 2, V in one head of 4: no one width
    plan.f.fn.steps[4].attrs["heads"] = int64_t(1);
    EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn), kNoneBlocked);
  }
  {
    CrossKv plan; // a slice not on a head boundary
    plan.f.fn.steps[2].attrs["offset"] = int64_t(3);
    EXPECT_EQ(findHeadBlockedUnpacks(plan.f.fn), kNoneBlocked);
  }
}

TEST(HeadBlocks, HeadsReadTheSameValuesInRuns) {
  // Run once blocked, and once with the unpacked tensor also returned,
  // which keeps [b, s, d]: every head element agrees, and the blocked
  // heads hold each head's positions in one run.
  CrossKv blockedPlan, densePlan;
  densePlan.f.results({densePlan.kHeads, densePlan.vHeads, densePlan.unpacked});
  std::unique_ptr<PlanExecutor> blocked, dense;
  ASSERT_TRUE(PlanExecutor::create(blockedPlan.f.fn, {}, {}, {}, blocked).ok());
  ASSERT_TRUE(PlanExecutor::create(densePlan.f.fn, {}, {}, {}, dense).ok());

  const int64_t b = 3, s = 4;
  std::vector<int32_t> lengths{4, 1, 2}, like(b * s, 0);
  std::vector<float> rows(7 * 8);
  for (size_t i = 0; i < rows.size(); ++i)
    rows[i] = float(i + 1);
  std::vector<Binding> args{
      Binding::ofTensor(TensorView(DType::F32, {7, 8}, rows.data())),
      Binding::ofTensor(TensorView(DType::I32, {b}, lengths.data())),
      Binding::ofTensor(TensorView(DType::I32, {b, s}, like.data()))};
  std::vector<Binding> got, want;
  // Twice each: the second run reuses an arena the first left filled.
  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE(blocked->run(args, got).ok());
    ASSERT_TRUE(dense->run(args, want).ok());
  }
  for (int r = 0; r < 2; ++r) {
    const TensorView &heads = got[r].tensor, &expected = want[r].tensor;
    ASSERT_EQ(heads.shape, (Dims{b, 2, s, 2}));
    EXPECT_EQ(heads.strides, (Dims{s * 8, s * 2, 2, 1}));
    EXPECT_EQ(expected.strides, (Dims{s * 8, 2, 8, 1}));
    for (int64_t i = 0; i < b; ++i)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t p = 0; p < s; ++p)
          for (int64_t c = 0; c < 2; ++c) {
            auto at = [&](const TensorView &t) {
              return t.f32()[i * t.strides[0] + h * t.strides[1] +
                             p * t.strides[2] + c];
            };
            // Sequence 0 starts at packed row 0, 1 at row 4, 2 at row 5;
            // padding is zero.
            const int64_t first[] = {0, 4, 5};
            float real = p < lengths[i]
                             ? rows[(first[i] + p) * 8 + r * 4 + h * 2 + c]
                             : 0.0f;
            ASSERT_EQ(at(heads), real) << r << ":" << i << h << p << c;
            ASSERT_EQ(at(expected), real) << r << ":" << i << h << p << c;
          }
  }
}

} // namespace
