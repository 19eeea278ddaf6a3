//===- LayerNorm.cpp - LayerNorm, optionally of a residual sum ------------===//

#include "codegen/kernels/LayerNorm.h"

#include "codegen/kernels/RowReduce.h"
#include "codegen/kernels/TargetTraits.h"

namespace txc::codegen {

using namespace Halide;

namespace {

// Rows per parallel task; fewer rows than two tasks run on one thread, as
// a decoder step's handful of rows costs less than waking the pool.
constexpr int kRowsPerTask = 16;

} // namespace

LayerNormPipeline buildLayerNorm(const LayerNormParams &params,
                                 const Target &target) {
  throwIfInvalid(params);
  const int vectorWidth = targetTraits(target).vectorWidth;
  const int features = int(params.features);

  LayerNormPipeline norm;
  norm.input = ImageParam(Float(32), 2, "x");
  norm.residual = ImageParam(Float(32), 2, "residual");
  norm.gamma = ImageParam(Float(32), 1, "gamma");
  norm.beta = ImageParam(Float(32), 1, "beta");

  Var d("d"), r("r");
  Func sum("sum");
  sum(d, r) = params.residual ? norm.input(d, r) + norm.residual(d, r)
                              : norm.input(d, r);
  RowReduction total =
      reduceRow("total", ReduceOp::Sum, sum, features, {r}, 2 * vectorWidth);
  Func mean("mean");
  mean(r) = total.total(r) / float(features);
  Func squares("squares");
  Expr centered = sum(d, r) - mean(r);
  squares(d, r) = centered * centered;
  RowReduction squareTotal = reduceRow("square_total", ReduceOp::Sum, squares,
                                       features, {r}, 2 * vectorWidth);
  Func invStd("inv_std");
  invStd(r) = 1.0f / sqrt(squareTotal.total(r) / float(features) +
                          float(params.eps));
  Func out("layer_norm");
  Expr normalized = centered * invStd(r) * norm.gamma(d) + norm.beta(d);
  if (params.emitSum)
    out(d, r) = Tuple(normalized, sum(d, r));
  else
    out(d, r) = normalized;

  constrainBuffer(norm.input, {features}, /*dense=*/true);
  constrainBuffer(norm.residual, {features}, true);
  constrainBuffer(norm.gamma, {features}, true);
  constrainBuffer(norm.beta, {features}, true);
  // The sum output shares the first output's mins and extents.
  std::vector<OutputImageParam> outputs = out.output_buffers();
  constrainBuffer(outputs[0], {features}, true);
  outputs[0].dim(1).set_extent(norm.input.dim(1).extent());
  if (params.emitSum)
    outputs[1].dim(0).set_stride(1).dim(1).set_stride(features);

  // Per row: the sum kept in a row buffer, its mean, the variance, output.
  Var task("task");
  out.vectorize(d, vectorWidth, TailStrategy::GuardWithIf);
  out.specialize(norm.input.dim(1).extent() >= 2 * kRowsPerTask)
      .split(r, task, r, kRowsPerTask, TailStrategy::GuardWithIf)
      .parallel(task);
  LoopLevel perRow(out, r);
  sum.compute_at(perRow).vectorize(d, vectorWidth, TailStrategy::GuardWithIf);
  scheduleRowReduce(total, perRow, vectorWidth);
  scheduleRowReduce(squareTotal, perRow, vectorWidth);
  mean.compute_at(perRow);
  invStd.compute_at(perRow);

  norm.pipeline = Pipeline(out);
  norm.arguments = {norm.input};
  if (params.residual)
    norm.arguments.push_back(norm.residual);
  norm.arguments.push_back(norm.gamma);
  norm.arguments.push_back(norm.beta);
  return norm;
}

} // namespace txc::codegen
