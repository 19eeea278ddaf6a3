//===- Softmax.cpp - masked, scaled softmax over the last axis ------------===//

#include "codegen/kernels/Softmax.h"

#include "codegen/kernels/RowReduce.h"
#include "codegen/kernels/TargetTraits.h"

#include <limits>

namespace txc::codegen {

using namespace Halide;

namespace {

// Rows per parallel task: a task should outweigh the cost of starting it.
constexpr int kRowsPerTask = 8;

} // namespace

SoftmaxPipeline buildSoftmax(const SoftmaxParams &params,
                             const Target &target) {
  throwIfInvalid(params);
  const int vectorWidth = targetTraits(target).vectorWidth;
  const float minusInf = -std::numeric_limits<float>::infinity();

  SoftmaxPipeline softmax;
  softmax.scores = ImageParam(Float(32), 4, "scores");
  softmax.lengths = ImageParam(Int(32), 1, "lengths");
  ImageParam &x = softmax.scores;

  Var k("k"), q("q"), h("h"), b("b");
  std::vector<Var> row{q, h, b};
  Expr keys = x.dim(0).extent();

  Expr masked = Internal::const_false();
  if (params.paddingMask)
    masked = masked || k >= softmax.lengths(b);
  if (params.causalMask)
    masked = masked || k > q + softmax.offset;
  Func scaled("scaled");
  scaled(k, q, h, b) = select(masked, minusInf, x(k, q, h, b) * params.scale);

  RowReduction rowMax =
      reduceRow("row_max", ReduceOp::Max, scaled, keys, row, 2 * vectorWidth);
  // A masked key contributes exactly 0, also when the whole row is masked
  // and the maximum is -inf.
  Func exps("exps");
  exps(k, q, h, b) =
      select(scaled(k, q, h, b) == minusInf, 0.0f,
             exp(scaled(k, q, h, b) - rowMax.total(q, h, b)));
  RowReduction rowSum =
      reduceRow("row_sum", ReduceOp::Sum, exps, keys, row, 2 * vectorWidth);
  Func inverse("inverse");
  Expr sum = rowSum.total(q, h, b);
  inverse(q, h, b) = select(sum > 0.0f, 1.0f / sum, 0.0f);
  Func out("softmax");
  out(k, q, h, b) = exps(k, q, h, b) * inverse(q, h, b);

  constrainBuffer(x, {}, /*dense=*/false);
  constrainBuffer(softmax.lengths, {}, false);
  constrainBuffer(out.output_buffer(), {}, true);
  for (int d = 0; d < 4; ++d)
    out.output_buffer().dim(d).set_extent(x.dim(d).extent());

  // One row at a time: its maximum, its exponentials kept in a row buffer,
  // their sum, then the scaled output.
  Var qh("qh"), rowVar("row"), task("task");
  out.fuse(q, h, qh).fuse(qh, b, rowVar);
  out.vectorize(k, vectorWidth, TailStrategy::GuardWithIf);
  Expr rows = x.dim(1).extent() * x.dim(2).extent() * x.dim(3).extent();
  out.specialize(rows >= 2 * kRowsPerTask)
      .split(rowVar, task, rowVar, kRowsPerTask, TailStrategy::GuardWithIf)
      .parallel(task);
  LoopLevel perRow(out, rowVar);
  scheduleRowReduce(rowMax, perRow, vectorWidth);
  scheduleRowReduce(rowSum, perRow, vectorWidth);
  exps.compute_at(perRow).vectorize(k, vectorWidth, TailStrategy::GuardWithIf);
  inverse.compute_at(perRow);

  softmax.pipeline = Pipeline(out);
  softmax.arguments = {x};
  if (params.paddingMask)
    softmax.arguments.push_back(softmax.lengths);
  if (params.causalMask)
    softmax.arguments.push_back(softmax.offset);
  return softmax;
}

} // namespace txc::codegen
