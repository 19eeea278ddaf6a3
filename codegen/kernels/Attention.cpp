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
// m and l are carried per head-dim element beside acc so the state is one
// Tuple Func; the copies cost an exp per head-dim element and block, a
// fraction of the exps of the block's keys times the tile's queries.
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
// Rows per decode task when rows name their K/V rows: a sentence's beam
// hypotheses sit in consecutive rows and read the same keys, so one thread
// fetches them from memory and its next rows find them in its cache.
constexpr int kSharedKeyRowsPerTask = 4;

const float kMinusInf = -std::numeric_limits<float>::infinity();

// Queries are addressed as (lane, tile): query = tile * queryTile + lane.
// The kernel's output reads the state at (i % queryTile, i / queryTile), so
// bounds inference gives every Func inside a tile the static extent
// queryTile in `lane`, even in the last, partial tile: the Funcs' tiles are
// fixed-size and the unrolled ones live in registers.
struct AttentionFuncs {
  Var d{"d"}, lane{"lane"}, tile{"tile"}, j{"j"}, blk{"blk"}, h{"h"}, b{"b"};
  Var i{"i"}; // the output's query
  Func query{"q_scaled"}, keyTile{"key_tile"}, dot{"qk"}, blockMax{"block_max"}, probs{"probs"},
      blockSum{"block_sum"}, blockOut{"block_out"}, state{"state"},
      out{"attention"};
  RDom headDims, keysInBlock, blocks;
  bool queriesInner; // prefill: queries innermost in the per-key Funcs
};

// Arguments of the per-key Funcs: queries innermost for the prefill
// schedule (it vectorizes across queries), keys innermost for decode.
std::vector<Expr> keyArgs(const AttentionFuncs &f, const Expr &key) {
  if (f.queriesInner)
    return {f.lane, key, f.blk, f.tile, f.h, f.b};
  return {key, f.lane, f.blk, f.tile, f.h, f.b};
}

void defineAttention(AttentionFuncs &f, const AttentionParams &params,
                     AttentionPipeline &attention, int keyBlock,
                     int queryTile) {
  const Var &d = f.d, &lane = f.lane, &tile = f.tile, &j = f.j, &blk = f.blk,
            &h = f.h, &b = f.b;
  ImageParam &q = attention.query, &k = attention.key, &v = attention.value;
  Expr queries = q.dim(1).extent(), keys = k.dim(1).extent();
  Expr query = tile * queryTile + lane;
  // The row of K and V that query row b reads; clamped so that a bad row
  // index cannot read outside them (the runtime rejects those first).
  Expr keyBatch = b;
  if (params.keyRows)
    keyBatch = clampedIndex(attention.keyRows(b), k.dim(3).extent());

  // Keys row b's query may attend to: [0, limit); the tile's last query
  // may attend to [0, tileLimit), the keys any query of the tile sees.
  Expr limit = keys, tileLimit = keys;
  if (params.paddingMask) {
    limit = min(limit, attention.lengths(b));
    tileLimit = limit;
  }
  if (params.causalMask) {
    limit = min(limit, query + attention.offset + 1);
    tileLimit = min(tileLimit, tile * queryTile + queryTile + attention.offset);
  }

  // Queries past the end (in the last tile) repeat the last one; their
  // results are never stored.
  Expr queryRow = clampedIndex(query, queries);
  if (f.queriesInner)
    f.query(lane, d, tile, h, b) = q(d, queryRow, h, b) * params.scale;
  else
    f.query(d, lane, tile, h, b) = q(d, queryRow, h, b) * params.scale;
  auto scaledQuery = [&](const Expr &dim) {
    return f.queriesInner ? f.query(lane, dim, tile, h, b)
                          : f.query(dim, lane, tile, h, b);
  };

  // Keys of the last block past the end read the last key; they are masked.
  auto keyIndex = [&](const Expr &inBlock) { return blk * keyBlock + inBlock; };
  auto keyRow = [&](const Expr &inBlock) {
    return clampedIndex(keyIndex(inBlock), keys);
  };

  f.headDims = RDom(0, int(params.headDim), "dh");
  f.keysInBlock = RDom(0, keyBlock, "kb");
  f.blocks = RDom(0, (keys + keyBlock - 1) / keyBlock, "blocks");
  // Blocks no query of the tile sees are skipped, not computed and masked:
  // a short sentence padded to a long batch costs its own length.
  f.blocks.where(f.blocks.x * keyBlock < tileLimit);
  const RVar &rd = f.headDims.x, &rj = f.keysInBlock.x, &rb = f.blocks.x;

  f.keyTile(d, j, blk, h, b) = k(d, keyRow(j), h, keyBatch);
  f.dot(keyArgs(f, j)) = 0.0f;
  f.dot(keyArgs(f, j)) += scaledQuery(rd) * f.keyTile(rd, j, blk, h, b);
  auto score = [&](const Expr &inBlock) {
    return select(keyIndex(inBlock) < limit, f.dot(keyArgs(f, inBlock)),
                  kMinusInf);
  };

  f.blockMax(lane, blk, tile, h, b) = kMinusInf;
  f.blockMax(lane, blk, tile, h, b) =
      max(f.blockMax(lane, blk, tile, h, b), score(rj));
  // Masked keys give exactly 0, also when the whole block is masked.
  f.probs(keyArgs(f, j)) =
      select(score(j) == kMinusInf, 0.0f,
             exp(score(j) - f.blockMax(lane, blk, tile, h, b)));
  Expr prob = f.probs(keyArgs(f, rj));
  f.blockSum(lane, blk, tile, h, b) = 0.0f;
  f.blockSum(lane, blk, tile, h, b) += prob;
  f.blockOut(d, lane, blk, tile, h, b) = 0.0f;
  f.blockOut(d, lane, blk, tile, h, b) += prob * v(d, keyRow(rj), h, keyBatch);

  std::vector<Expr> at{d, lane, tile, h, b};
  f.state(at) = Tuple(kMinusInf, 0.0f, 0.0f);
  Expr m = f.state(at)[0], l = f.state(at)[1], acc = f.state(at)[2];
  Expr mb = f.blockMax(lane, rb, tile, h, b),
       lb = f.blockSum(lane, rb, tile, h, b),
       ob = f.blockOut(d, lane, rb, tile, h, b);
  // exp(-|m - mb|) is the one factor below 1; -inf on either side gives 0
  // (both -inf gives NaN, which the selects keep out of l and acc).
  Expr decay = exp(-abs(m - mb));
  Expr keepMax = m >= mb;
  Expr stateScale = select(keepMax, 1.0f, decay);
  Expr blockScale = select(keepMax, select(mb == kMinusInf, 0.0f, decay), 1.0f);
  f.state(at) = Tuple(max(m, mb), l * stateScale + lb * blockScale,
                      acc * stateScale + ob * blockScale);

  const Var &i = f.i;
  std::vector<Expr> fromOut{d, i % queryTile, i / queryTile, h, b};
  Expr total = f.state(fromOut)[1];
  f.out(d, i, h, b) = select(total > 0.0f, f.state(fromOut)[2] / total, 0.0f);
}

// Tail strategy along the head dim: whole vectors when they fit exactly,
// else guarded, as rounding up would read past the rows of K and V.
TailStrategy headDimTail(int headDim, int vectorWidth) {
  return headDim % vectorWidth == 0 ? TailStrategy::RoundUp
                                    : TailStrategy::GuardWithIf;
}

// The output's loops inside a task: query tiles, the head dim vectorized.
void tileOutput(AttentionFuncs &f, int vectorWidth, int queryTile,
                Var &tile) {
  Var inTile("in_tile");
  f.out.split(f.i, tile, inTile, queryTile, TailStrategy::GuardWithIf)
      .reorder(f.d, inTile, tile, f.h, f.b)
      .vectorize(f.d, vectorWidth, TailStrategy::GuardWithIf);
}

// Prefill: query tiles of all heads and rows in parallel, the state of a
// tile computed in its task, which the returned loop is.
Var schedulePrefillOutput(AttentionFuncs &f, int vectorWidth, int queryTile) {
  Var tile("tile"), headTile("head_tile"), task("task");
  tileOutput(f, vectorWidth, queryTile, tile);
  f.out.fuse(tile, f.h, headTile).fuse(headTile, f.b, task).parallel(task);
  f.state.compute_at(f.out, task);
  return task;
}

// Decode: rows in parallel, each task walking its rows' heads in turn, so
// that it streams a row's K/V (contiguous in a KV cache or the encoder's
// head blocks) instead of 8 tasks each fetching a piece. Rows that name
// their K/V rows take kSharedKeyRowsPerTask a task, unless there are as
// many K/V rows as rows (greedy: each row its own), where larger tasks
// only balance worse. Returns the loop the state is computed at.
Var scheduleDecodeOutput(AttentionFuncs &f, int vectorWidth,
                         const AttentionPipeline &attention, bool keyRows) {
  Var tile("tile");
  tileOutput(f, vectorWidth, 1, tile);
  if (keyRows) {
    Expr ownKeys =
        attention.key.dim(3).extent() == attention.query.dim(3).extent();
    f.out.specialize(ownKeys).parallel(f.b);
    Var rowTask("row_task"), rowInTask("row_in_task");
    f.out
        .split(f.b, rowTask, rowInTask, kSharedKeyRowsPerTask,
               TailStrategy::GuardWithIf)
        .parallel(rowTask);
  } else {
    f.out.parallel(f.b);
  }
  f.state.compute_at(f.out, tile);
  return tile;
}

void schedulePrefill(AttentionFuncs &f, int vectorWidth, int queryTile,
                     int headDim) {
  const Var &d = f.d, &lane = f.lane, &j = f.j;
  const TailStrategy tail = headDimTail(headDim, vectorWidth);
  const RVar &rd = f.headDims.x, &rj = f.keysInBlock.x, &rb = f.blocks.x;
  Var at = schedulePrefillOutput(f, vectorWidth, queryTile);
  f.query.compute_at(f.out, at).vectorize(lane, vectorWidth);
  f.state.vectorize(d, vectorWidth, tail);
  f.state.update().reorder(d, lane, rb).vectorize(d, vectorWidth, tail);

  // Scores: a vector of queries times kScoreUnroll keys per register tile,
  // reading the block's keys copied to one dense tile.
  Var keyGroup("key_group"), keyInGroup("key_in_group");
  f.keyTile.compute_at(f.state, rb).vectorize(d, vectorWidth, tail);
  f.dot.compute_at(f.state, rb).vectorize(lane, vectorWidth);
  f.dot.update()
      .split(j, keyGroup, keyInGroup, kScoreUnroll)
      .reorder(lane, keyInGroup, rd, keyGroup)
      .vectorize(lane, vectorWidth)
      .unroll(keyInGroup);
  f.blockMax.compute_at(f.state, rb).vectorize(lane, vectorWidth);
  f.blockMax.update().reorder(lane, rj).vectorize(lane, vectorWidth);
  f.probs.compute_at(f.state, rb).vectorize(lane, vectorWidth);
  f.blockSum.compute_at(f.state, rb).vectorize(lane, vectorWidth);
  f.blockSum.update().reorder(lane, rj).vectorize(lane, vectorWidth);
  // Block output: the head dim's vectors times kOutputUnroll queries.
  Var queryGroup("query_group"), queryInGroup("query_in_group");
  f.blockOut.compute_at(f.state, rb).vectorize(d, vectorWidth, tail);
  f.blockOut.update()
      .split(lane, queryGroup, queryInGroup, kOutputUnroll)
      .reorder(d, queryInGroup, rj, queryGroup)
      .vectorize(d, vectorWidth, tail)
      .unroll(queryInGroup);
  if (headDim % vectorWidth == 0)
    f.blockOut.update().unroll(d);
}

void scheduleDecode(AttentionFuncs &f, int vectorWidth, int headDim,
                    const AttentionPipeline &attention, bool keyRows) {
  const Var &d = f.d, &lane = f.lane, &j = f.j;
  const TailStrategy tail = headDimTail(headDim, vectorWidth);
  const RVar &rd = f.headDims.x, &rj = f.keysInBlock.x, &rb = f.blocks.x;
  Var at = scheduleDecodeOutput(f, vectorWidth, attention, keyRows);
  f.query.compute_at(f.out, at).vectorize(d, vectorWidth, tail);
  f.state.vectorize(d, vectorWidth, tail);
  f.state.update().reorder(d, lane, rb).vectorize(d, vectorWidth, tail);

  // Scores: one dot product per key, vectorized along the head dim: whole
  // vectors of products summed first, then one horizontal sum per key.
  f.dot.compute_at(f.state, rb).vectorize(j, vectorWidth);
  if (headDim % vectorWidth == 0 && headDim > vectorWidth) {
    RVar chunk("dh_chunk"), inChunk("dh_in_chunk");
    Var partialLane("partial_lane");
    Func partial = f.dot.update()
                       .split(rd, chunk, inChunk, vectorWidth)
                       .rfactor(inChunk, partialLane);
    partial.compute_at(f.dot, j).vectorize(partialLane);
    partial.update().vectorize(partialLane);
    f.dot.update().atomic().vectorize(inChunk);
  } else {
    f.dot.update().atomic().vectorize(rd, vectorWidth);
  }
  f.blockMax.compute_at(f.state, rb);
  f.blockMax.update().atomic().vectorize(rj, vectorWidth);
  f.probs.compute_at(f.state, rb).vectorize(j, vectorWidth);
  f.blockSum.compute_at(f.state, rb);
  f.blockSum.update().atomic().vectorize(rj, vectorWidth);
  f.blockOut.compute_at(f.state, rb).vectorize(d, vectorWidth, tail);
  // Each key adds to every vector of the head dim: independent sums, so
  // the adds of consecutive vectors overlap instead of waiting on one sum.
  Var chunk("d_chunk");
  f.blockOut.update()
      .split(d, chunk, d, vectorWidth, tail)
      .reorder(d, chunk, rj)
      .vectorize(d);
  if (headDim % vectorWidth == 0)
    f.blockOut.update().unroll(chunk);
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
  attention.keyRows = ImageParam(Int(32), 1, "key_rows");

  AttentionFuncs f;
  f.queriesInner = !decode;
  defineAttention(f, params, attention, keyBlock, decode ? 1 : queryTile);
  if (decode)
    scheduleDecode(f, vectorWidth, headDim, attention, params.keyRows);
  else
    schedulePrefill(f, vectorWidth, queryTile, headDim);

  ImageParam &q = attention.query, &k = attention.key, &v = attention.value;
  constrainBuffer(q, {headDim}, /*dense=*/false);
  constrainBuffer(k, {headDim}, false);
  constrainBuffer(v, {headDim}, false);
  constrainBuffer(attention.lengths, {}, false);
  constrainBuffer(attention.keyRows, {}, false);
  for (int dim = 1; dim < 4; ++dim) {
    v.dim(dim).set_extent(k.dim(dim).extent());
    if (dim == 2 || (dim == 3 && !params.keyRows))
      k.dim(dim).set_extent(q.dim(dim).extent());
  }
  // Any outer strides: the runtime lets the kernel write straight into the
  // merged [b, s, h * dh] tensor that merge_heads would copy to.
  OutputImageParam result = f.out.output_buffer();
  constrainBuffer(result, {headDim}, /*dense=*/false);
  for (int dim = 1; dim < 4; ++dim)
    result.dim(dim).set_extent(q.dim(dim).extent());

  attention.pipeline = Pipeline(f.out);
  attention.arguments = {q, k, v};
  if (params.paddingMask)
    attention.arguments.push_back(attention.lengths);
  if (params.keyRows)
    attention.arguments.push_back(attention.keyRows);
  if (params.causalMask)
    attention.arguments.push_back(attention.offset);
  return attention;
}

} // namespace txc::codegen

