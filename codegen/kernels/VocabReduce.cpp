//===- VocabReduce.cpp - log-softmax and argmax over the vocabulary -------===//

#include "codegen/kernels/VocabReduce.h"

#include "codegen/kernels/RowReduce.h"
#include "codegen/kernels/TargetTraits.h"

#include <limits>

namespace txc::codegen {

using namespace Halide;

VocabReducePipeline buildVocabReduce(const VocabReduceParams &params,
                                     const Target &target) {
  throwIfInvalid(params);
  const int vectorWidth = targetTraits(target).vectorWidth;
  const int vocab = int(params.vocab);
  const float minusInf = -std::numeric_limits<float>::infinity();
  // Four vectors of partial results: rows are long, so the reduction
  // chains, not the loads, would otherwise limit speed.
  const int lanes = 4 * vectorWidth;

  VocabReducePipeline reduce;
  reduce.logits = ImageParam(Float(32), 2, "logits");
  Var v("v"), r("r");
  Func logits("masked_logits");
  logits(v, r) = select(v == reduce.maskedToken, minusInf, reduce.logits(v, r));
  RowReduction rowMax =
      reduceRow("row_max", ReduceOp::Max, logits, vocab, {r}, lanes);
  Expr best = rowMax.total(r);

  Func out;
  Func exps("exps");
  RowReduction rowSum{};
  RowReduction firstBest{};
  if (params.reduction == VocabReduction::LogSoftmax) {
    exps(v, r) = exp(logits(v, r) - best);
    rowSum = reduceRow("row_sum", ReduceOp::Sum, exps, vocab, {r}, lanes);
    // A row with every logit -inf has no distribution; it stays -inf. The
    // test is on the bits: Halide's float math assumes no infinities, so
    // `best == -inf` may be folded to false.
    Expr noneFinite = reinterpret(Int(32), best) == int32_t(0xff800000u);
    Func logSum("log_sum");
    logSum(r) = best + log(rowSum.total(r));
    out = Func("log_softmax");
    out(v, r) = select(noneFinite, minusInf, logits(v, r) - logSum(r));
    out.vectorize(v, vectorWidth, TailStrategy::GuardWithIf);
    logSum.compute_at(out, r);
  } else {
    // The lowest index holding the row's maximum: a min-reduction of
    // indices, vectorizable unlike a running argmax. Halide compiles float
    // math assuming no NaN or infinity, so those are told apart on the
    // bits: a NaN or +inf anywhere gives -2 (the min), -inf never counts,
    // and a row of only -inf gives vocab, which becomes -1 below.
    Expr bits = reinterpret(Int(32), logits(v, r));
    Expr magnitude = bits & 0x7fffffff;
    Expr nanOrPlusInf =
        magnitude > 0x7f800000 || bits == 0x7f800000;
    Expr minusInfBits = bits == int32_t(0xff800000u);
    Func index("best_index");
    index(v, r) = select(nanOrPlusInf, -2,
                         logits(v, r) == best && !minusInfBits, v, vocab);
    firstBest =
        reduceRow("first_best", ReduceOp::Min, index, vocab, {r}, lanes);
    out = Func("argmax");
    // The codes of runtime/TokenSelection.h: -1 when no logit is finite,
    // -2 when one is NaN or +inf.
    Expr first = firstBest.total(r);
    out(r) = select(first == vocab, -1, first);
  }

  constrainBuffer(reduce.logits, {vocab}, /*dense=*/true);
  Expr rows = reduce.logits.dim(1).extent();
  if (params.reduction == VocabReduction::LogSoftmax) {
    constrainBuffer(out.output_buffer(), {vocab}, true);
    out.output_buffer().dim(1).set_extent(rows);
  } else {
    constrainBuffer(out.output_buffer(), {}, true);
    out.output_buffer().dim(0).set_extent(rows);
  }

  // Rows are long (a whole vocabulary): one task per row.
  out.parallel(r);
  LoopLevel perRow(out, r);
  scheduleRowReduce(rowMax, perRow, vectorWidth);
  if (params.reduction == VocabReduction::LogSoftmax)
    scheduleRowReduce(rowSum, perRow, vectorWidth);
  else
    scheduleRowReduce(firstBest, perRow, vectorWidth);

  reduce.pipeline = Pipeline(out);
  reduce.arguments = {reduce.logits, reduce.maskedToken};
  return reduce;
}

} // namespace txc::codegen
