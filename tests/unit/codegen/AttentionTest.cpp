//===- AttentionTest.cpp - fused attention against the unfused reference --===//

#include "ReferenceKernels.h"
#include "TensorTestUtils.h"

#include "codegen/kernels/Attention.h"

#include <cmath>

namespace txc::codegen {
namespace {

using namespace testing;

struct AttentionCase {
  int batch, heads, queries, keys;
  std::vector<int> lengths = {}; // per batch row, when the kernel pads
  int offset = 0;                // when the kernel is causal
  int cacheCapacity = 0;         // > keys: K and V are views of a larger cache
  std::vector<int> keyRows = {}; // per batch row, when K/V rows are shared
  int keyBatch = 0;              // rows of K and V, when keyRows
};

std::ostream &operator<<(std::ostream &os, const AttentionCase &c) {
  os << "batch " << c.batch << " heads " << c.heads << " queries "
     << c.queries << " keys " << c.keys << " offset " << c.offset
     << " capacity " << c.cacheCapacity << " lengths";
  for (int length : c.lengths)
    os << " " << length;
  os << " key rows";
  for (int row : c.keyRows)
    os << " " << row;
  return os;
}

class AttentionKernel : public ::testing::Test {
protected:
  std::mt19937 rng{51};

  // The first `keys` positions of random keys or values of `capacity`
  // positions, laid out as the runtime holds them: the encoder's
  // [rows, heads, positions, headDim] output for key rows, else a KV cache,
  // [rows, capacity, heads, headDim].
  Halide::Buffer<float> cacheView(const AttentionCase &c, int headDim) {
    int capacity = std::max(c.cacheCapacity, c.keys);
    if (!c.keyRows.empty()) {
      Halide::Buffer<float> encoder =
          randomTensor({c.keyBatch, c.heads, capacity, headDim}, rng);
      encoder.crop(1, 0, c.keys);
      return encoder;
    }
    Halide::Buffer<float> cache =
        randomTensor({c.batch, capacity, c.heads, headDim}, rng);
    cache.transpose(1, 2); // Halide dims, innermost first: d, position, head
    cache.crop(1, 0, c.keys);
    return cache;
  }

  ::testing::AssertionResult matchesReference(AttentionPipeline &kernel,
                                              const AttentionParams &params,
                                              const AttentionCase &c) {
    int headDim = int(params.headDim);
    Halide::Buffer<float> q =
        randomTensor({c.batch, c.heads, c.queries, headDim}, rng);
    Halide::Buffer<float> k = cacheView(c, headDim);
    Halide::Buffer<float> v = cacheView(c, headDim);
    Halide::Buffer<int32_t> lengths = intTensor({c.batch});
    ReferenceMasks masks;
    if (params.paddingMask) {
      std::copy(c.lengths.begin(), c.lengths.end(), lengths.data());
      masks.lengths = c.lengths;
    }
    if (params.causalMask)
      masks.causalOffset = c.offset;
    Halide::Buffer<float> out =
        tensor({c.batch, c.heads, c.queries, headDim});
    kernel.query.set(q);
    kernel.key.set(k);
    kernel.value.set(v);
    kernel.lengths.set(lengths);
    kernel.offset.set(c.offset);
    Halide::Buffer<int32_t> keyRows = intTensor({c.batch});
    std::copy(c.keyRows.begin(), c.keyRows.end(), keyRows.data());
    kernel.keyRows.set(keyRows);
    kernel.pipeline.realize(out);

    // The reference reads a copy of each row's K/V.
    Halide::Buffer<float> denseK = tensor({c.batch, c.heads, c.keys, headDim});
    Halide::Buffer<float> denseV = tensor({c.batch, c.heads, c.keys, headDim});
    for (int b = 0; b < c.batch; ++b) {
      int row = params.keyRows ? c.keyRows[b] : b;
      // Halide dims run innermost first: batch is dim 3.
      denseK.sliced(3, b).copy_from(k.sliced(3, row));
      denseV.sliced(3, b).copy_from(v.sliced(3, row));
    }
    return closeTo(out, referenceAttention(elements(q), elements(denseK),
                                           elements(denseV), c.batch, c.heads,
                                           c.queries, c.keys, headDim,
                                           params.scale, masks));
  }

  void expectAllMatch(const AttentionParams &params,
                      const std::vector<AttentionCase> &cases) {
    AttentionPipeline kernel = buildAttention(params, jitTarget());
    for (const AttentionCase &c : cases)
      EXPECT_TRUE(matchesReference(kernel, params, c))
          << c << " (padding " << params.paddingMask << " causal "
          << params.causalMask << " decode " << params.decodeStep << ")";
  }
};

AttentionParams attention(int headDim, bool padding, bool causal,
                          bool decode, int keyBlock = 0, int queryTile = 0) {
  AttentionParams params;
  params.keyBlock = keyBlock;
  params.queryTile = queryTile;
  params.headDim = headDim;
  params.scale = float(1.0 / std::sqrt(double(headDim)));
  params.paddingMask = padding;
  params.causalMask = causal;
  params.decodeStep = decode;
  return params;
}

TEST_F(AttentionKernel, EncoderSelfAttentionWithPadding) {
  // Keys past a row's length are masked; a row of length 0 gives zeros.
  expectAllMatch(attention(64, true, false, false),
                 {{2, 3, 17, 33, {0, 20}},
                  {2, 3, 33, 33, {33, 1}},
                  {1, 2, 5, 70, {70}},
                  {2, 1, 0, 5, {5, 5}},
                  {2, 1, 3, 0, {0, 0}}});
}

TEST_F(AttentionKernel, CausalSelfAttention) {
  // Offset 0: queries and keys are the same positions; offset 7: the
  // queries follow 7 cached keys; offset -1 leaves query 0 no key.
  expectAllMatch(attention(64, false, true, false),
                 {{2, 2, 40, 40, {}, 0},
                  {1, 3, 5, 12, {}, 7},
                  {1, 1, 9, 9, {}, -1}});
}

TEST_F(AttentionKernel, PaddedCausalAttentionWithAnOddHeadDim) {
  // Blocks of 8 keys: the running maximum moves between many blocks; tiles
  // of 6 queries: neither whole vectors nor whole unrolled groups.
  expectAllMatch(attention(20, true, true, false, 8, 6),
                 {{2, 3, 21, 21, {21, 9}, 0}, {3, 1, 4, 37, {37, 0, 30}, 33}});
}

TEST_F(AttentionKernel, DecodeStepOverAKvCache) {
  // One query per row against the first `keys` positions of a cache.
  expectAllMatch(attention(64, false, false, true),
                 {{4, 8, 1, 1, {}, 0, 16},
                  {3, 2, 1, 23, {}, 0, 150},
                  {2, 2, 1, 130, {}, 0, 150},
                  {2, 2, 1, 0, {}, 0, 4}});
}

TEST_F(AttentionKernel, DecodeStepCrossAttentionWithPadding) {
  expectAllMatch(attention(64, true, false, true, 16),
                 {{2, 3, 1, 31, {31, 4}}, {3, 1, 1, 100, {0, 65, 100}}});
}

TEST_F(AttentionKernel, RowsShareKeysAndValuesThroughKeyRows) {
  // Beam rows of 2 sentences reading their sentence's K/V, in any order
  // and with rows of their own lengths (4 rows a task, with a tail); then as
  // many K/V rows as rows, which runs a row a task; the prefill schedule too.
  AttentionParams decode = attention(64, true, false, true, 16);
  decode.keyRows = true;
  expectAllMatch(decode, {{5, 3, 1, 37, {37, 9, 37, 9, 20}, 0, 0,
                           {0, 1, 0, 1, 0}, 2},
                          {3, 2, 1, 12, {12, 12, 12}, 0, 0, {2, 2, 2}, 3}});
  AttentionParams prefill = attention(64, true, false, false, 8);
  prefill.keyRows = true;
  expectAllMatch(prefill, {{4, 2, 5, 21, {21, 3, 21, 0}, 0, 0,
                            {1, 0, 1, 1}, 2}});
}

TEST_F(AttentionKernel, DecodeStepWithSeveralCausalQueries) {
  expectAllMatch(attention(64, false, true, true),
                 {{2, 2, 3, 10, {}, 7, 20}, {1, 1, 2, 2, {}, 0}});
}

} // namespace
} // namespace txc::codegen
