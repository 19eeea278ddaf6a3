//===- Attention.cpp - fused attention with online softmax ----------------===//
//
// For each query the keys are visited in blocks of `keyBlock`. A block
// yields its own softmax statistics from its scores alone: its maximum mb,
// the sum lb of exp(s - mb), and ob = sum exp(s - mb) * v. The running state
// (m, l, acc) absorbs a block as
//
//   m' = max(m, mb),  l' = l e^(m - m') + lb e^(mb - m'),
//   acc' = acc e^(m - m') + ob e^(mb - m'),
//
// and the output is acc / l. Because a block's statistics do not depend on
// the state, Halide can express the whole recurrence as one update over
// the blocks, with the block's scores, probabilities and partial output
// computed inside each step, a (query tile x key block) tile at a time.
// m and l are carried per head-dim lane beside acc so the state is one
// Tuple Func; the redundant lanes cost one exp per block, not per key.
//
// Two schedules: prefill (query tiles of a vector's width, scores
// vectorized across queries) and decode step (one query at a time, scores
// as dot products vectorized along the head dim).
//
//===----------------------------------------------------------------------===//

#include "codegen/kernels/Attention.h"

#include "codegen/kernels/TargetTraits.h"

#include <limits>

namespace txc::codegen {

using namespace Halide;

namespace {

constexpr int kPrefillKeyBlock = 32;
constexpr int kDecodeKeyBlock = 64;
// Keys per unrolled step of the prefill score tile.
constexpr int kScoreUnroll = 8;
// Queries per unrolled step of the prefill block output tile.
constexpr int kOutputUnroll = 4;

const float kMinusInf = -std::numeric_limits<float>::infinity();

struct AttentionFuncs {
  Var d{"d"}, i{"i"}, j{"j"}, blk{"blk"}, h{"h"}, b{"b"};
  Func query{"q_scaled"}, dot{"qk"}, blockMax{"block_max"}, probs{"probs"},
      blockSum{"block_sum"}, blockOut{"block_out"}, state{"state"},
      out{"attention"};
  RDom headDims, keysInBlock, blocks;
};

// Arguments of the per-key Funcs: queries innermost for the prefill
// schedule (it vectorizes across queries), keys innermost for decode.
std::vector<Expr> keyArgs(const AttentionFuncs &f, bool queriesInner,
                          const Expr &query, const Expr &key) {
  if (queriesInner)
    return {query, key, f.blk, f.h, f.b};
  return {key, query, f.blk, f.h, f.b};
}

void defineAttention(AttentionFuncs &f, const AttentionParams &params,
                     AttentionPipeline &attention, int keyBlock,
                     bool queriesInner) {
  const Var &d = f.d, &i = f.i, &j = f.j, &blk = f.blk, &h = f.h, &b = f.b;
  ImageParam &q = attention.query, &k = attention.key, &v = attention.value;
  Expr queries = q.dim(1).extent(), keys = k.dim(1).extent();

  // Keys row b's query i may attend to: [0, limit).
  Expr limit = keys;
  if (params.paddingMask)
    limit = min(limit, attention.lengths(b));
  if (params.causalMask)
    limit = min(limit, i + attention.offset + 1);

  // The prefill schedule computes whole query tiles; queries past the end
  // repeat the last one and are never stored.
  if (queriesInner)
    f.query(i, d, h, b) = q(d, clampedIndex(i, queries), h, b) * params.scale;
  else
    f.query(d, i, h, b) = q(d, i, h, b) * params.scale;
  auto scaledQuery = [&](const Expr &dim) {
    return queriesInner ? f.query(i, dim, h, b) : f.query(dim, i, h, b);
  };

  // Keys of the last block past the end read the last key; they are masked.
  auto keyIndex = [&](const Expr &inBlock) { return blk * keyBlock + inBlock; };
  auto keyRow = [&](const Expr &inBlock) {
    return clampedIndex(keyIndex(inBlock), keys);
  };

  f.headDims = RDom(0, int(params.headDim), "dh");
  f.keysInBlock = RDom(0, keyBlock, "kb");
  f.blocks = RDom(0, (keys + keyBlock - 1) / keyBlock, "blocks");
  const RVar &rd = f.headDims.x, &rj = f.keysInBlock.x, &rb = f.blocks.x;

  f.dot(keyArgs(f, queriesInner, i, j)) = 0.0f;
  f.dot(keyArgs(f, queriesInner, i, j)) +=
      scaledQuery(rd) * k(rd, keyRow(j), h, b);
  auto score = [&](const Expr &inBlock) {
    return select(keyIndex(inBlock) < limit,
                  f.dot(keyArgs(f, queriesInner, i, inBlock)), kMinusInf);
  };

  f.blockMax(i, blk, h, b) = kMinusInf;
  f.blockMax(i, blk, h, b) = max(f.blockMax(i, blk, h, b), score(rj));
  // Masked keys give exactly 0, also when the whole block is masked.
  f.probs(keyArgs(f, queriesInner, i, j)) =
      select(score(j) == kMinusInf, 0.0f,
             exp(score(j) - f.blockMax(i, blk, h, b)));
  Expr prob = f.probs(keyArgs(f, queriesInner, i, rj));
  f.blockSum(i, blk, h, b) = 0.0f;
  f.blockSum(i, blk, h, b) += prob;
  f.blockOut(d, i, blk, h, b) = 0.0f;
  f.blockOut(d, i, blk, h, b) += prob * v(d, keyRow(rj), h, b);

  f.state(d, i, h, b) = Tuple(kMinusInf, 0.0f, 0.0f);
  Expr m = f.state(d, i, h, b)[0], l = f.state(d, i, h, b)[1],
       acc = f.state(d, i, h, b)[2];
  Expr mb = f.blockMax(i, rb, h, b), lb = f.blockSum(i, rb, h, b),
       ob = f.blockOut(d, i, rb, h, b);
  // exp(-|m - mb|) is the one factor below 1; -inf on either side gives 0
  // (both -inf gives NaN, which the selects keep out of l and acc).
  Expr decay = exp(-abs(m - mb));
  Expr keepMax = m >= mb;
  Expr stateScale = select(keepMax, 1.0f, decay);
  Expr blockScale = select(keepMax, select(mb == kMinusInf, 0.0f, decay), 1.0f);
  f.state(d, i, h, b) = Tuple(max(m, mb), l * stateScale + lb * blockScale,
                              acc * stateScale + ob * blockScale);

  Expr total = f.state(d, i, h, b)[1];
  f.out(d, i, h, b) =
      select(total > 0.0f, f.state(d, i, h, b)[2] / total, 0.0f);
}

// Tail strategy along the head dim: whole vectors when they fit exactly,
// else guarded, as rounding up would read past the rows of K and V.
TailStrategy headDimTail(int headDim, int vectorWidth) {
  return headDim % vectorWidth == 0 ? TailStrategy::RoundUp
                                    : TailStrategy::GuardWithIf;
}

void schedulePrefill(AttentionFuncs &f, int vectorWidth, int queryTile,
                     int headDim) {
  const Var &d = f.d, &i = f.i, &j = f.j;
  const TailStrategy tail = headDimTail(headDim, vectorWidth);
  const RVar &rd = f.headDims.x, &rj = f.keysInBlock.x, &rb = f.blocks.x;
  Var tile("tile"), inTile("in_tile"), headTile("head_tile"), task("task");
  f.out.split(i, tile, inTile, queryTile, TailStrategy::GuardWithIf)
      .reorder(d, inTile, tile, f.h, f.b)
      .fuse(tile, f.h, headTile)
      .fuse(headTile, f.b, task)
      .parallel(task)
      .vectorize(d, vectorWidth, TailStrategy::GuardWithIf);
  LoopLevel perTile(f.out, task);
  f.query.compute_at(perTile).vectorize(i, vectorWidth);
  f.state.compute_at(perTile).vectorize(d, vectorWidth, tail);
  f.state.update().reorder(d, i, rb).vectorize(d, vectorWidth, tail);

  // Scores: a vector of queries times kScoreUnroll keys per register tile.
  Var keyGroup("key_group"), keyInGroup("key_in_group");
  f.dot.compute_at(f.state, rb).vectorize(i, vectorWidth);
  f.dot.update()
      .split(j, keyGroup, keyInGroup, kScoreUnroll)
      .reorder(i, keyInGroup, rd, keyGroup)
      .vectorize(i, vectorWidth)
      .unroll(keyInGroup);
  f.blockMax.compute_at(f.state, rb).vectorize(i, vectorWidth);
  f.blockMax.update().reorder(i, rj).vectorize(i, vectorWidth);
  f.probs.compute_at(f.state, rb).vectorize(i, vectorWidth);
  f.blockSum.compute_at(f.state, rb).vectorize(i, vectorWidth);
  f.blockSum.update().reorder(i, rj).vectorize(i, vectorWidth);
  // Block output: the head dim's vectors times kOutputUnroll queries.
  Var queryGroup("query_group"), queryInGroup("query_in_group");
  f.blockOut.compute_at(f.state, rb).vectorize(d, vectorWidth, tail);
  f.blockOut.update()
      .split(i, queryGroup, queryInGroup, kOutputUnroll)
      .reorder(d, queryInGroup, rj, queryGroup)
      .vectorize(d, vectorWidth, tail)
      .unroll(queryInGroup);
  if (headDim % vectorWidth == 0)
    f.blockOut.update().unroll(d);
}

void scheduleDecode(AttentionFuncs &f, int vectorWidth, int headDim) {
  const Var &d = f.d, &i = f.i, &j = f.j;
  const TailStrategy tail = headDimTail(headDim, vectorWidth);
  const RVar &rd = f.headDims.x, &rb = f.blocks.x;
  Var queryHead("query_head"), task("task");
  f.out.reorder(d, i, f.h, f.b)
      .fuse(i, f.h, queryHead)
      .fuse(queryHead, f.b, task)
      .parallel(task)
      .vectorize(d, vectorWidth, TailStrategy::GuardWithIf);
  LoopLevel perQuery(f.out, task);
  f.query.compute_at(perQuery).vectorize(d, vectorWidth, tail);
  f.state.compute_at(perQuery).vectorize(d, vectorWidth, tail);
  f.state.update().reorder(d, i, rb).vectorize(d, vectorWidth, tail);

  // Scores: one dot product per key, vectorized along the head dim.
  f.dot.compute_at(f.state, rb).vectorize(j, vectorWidth);
  f.dot.update().reorder(rd, j).atomic().vectorize(rd, vectorWidth);
  f.blockMax.compute_at(f.state, rb);
  f.probs.compute_at(f.state, rb).vectorize(j, vectorWidth);
  f.blockSum.compute_at(f.state, rb);
  f.blockOut.compute_at(f.state, rb).vectorize(d, vectorWidth, tail);
  f.blockOut.update().vectorize(d, vectorWidth, tail);
}

} // namespace

AttentionPipeline buildAttention(const AttentionParams &params,
                                 const Target &target) {
  throwIfInvalid(params);
  const int vectorWidth = targetTraits(target).vectorWidth;
  const int headDim = int(params.headDim);
  const bool decode = params.decodeStep;
  int keyBlock = params.keyBlock;
  if (!keyBlock)
    keyBlock = decode ? kDecodeKeyBlock : kPrefillKeyBlock;
  const int queryTile = params.queryTile ? params.queryTile : vectorWidth;

  AttentionPipeline attention;
  attention.query = ImageParam(Float(32), 4, "q");
  attention.key = ImageParam(Float(32), 4, "k");
  attention.value = ImageParam(Float(32), 4, "v");
  attention.lengths = ImageParam(Int(32), 1, "lengths");

  AttentionFuncs f;
  defineAttention(f, params, attention, keyBlock, /*queriesInner=*/!decode);
  if (decode)
    scheduleDecode(f, vectorWidth, headDim);
  else
    schedulePrefill(f, vectorWidth, queryTile, headDim);

  ImageParam &q = attention.query, &k = attention.key, &v = attention.value;
  constrainBuffer(q, {headDim}, /*dense=*/false);
  constrainBuffer(k, {headDim}, false);
  constrainBuffer(v, {headDim}, false);
  constrainBuffer(attention.lengths, {}, false);
  for (int dim = 1; dim < 4; ++dim) {
    v.dim(dim).set_extent(k.dim(dim).extent());
    if (dim > 1)
      k.dim(dim).set_extent(q.dim(dim).extent());
  }
  OutputImageParam result = f.out.output_buffer();
  constrainBuffer(result, {headDim}, /*dense=*/true);
  for (int dim = 1; dim < 4; ++dim)
    result.dim(dim).set_extent(q.dim(dim).extent());

  attention.pipeline = Pipeline(f.out);
  attention.arguments = {q, k, v};
  if (params.paddingMask)
    attention.arguments.push_back(attention.lengths);
  if (params.causalMask)
    attention.arguments.push_back(attention.offset);
  return attention;
}

} // namespace txc::codegen

