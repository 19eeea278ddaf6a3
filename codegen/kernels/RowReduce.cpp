//===- RowReduce.cpp - vectorizable reductions along a row ----------------===//

#include "codegen/kernels/RowReduce.h"

namespace txc::codegen {

using namespace Halide;

namespace {

Expr identity(ReduceOp op, Type type) {
  switch (op) {
  case ReduceOp::Sum:
    return Internal::make_zero(type);
  case ReduceOp::Max:
    return type.is_float() ? Expr(-std::numeric_limits<float>::infinity())
                           : type.min();
  case ReduceOp::Min:
    return type.is_float() ? Expr(std::numeric_limits<float>::infinity())
                           : type.max();
  }
  return Expr();
}

Expr combine(ReduceOp op, const Expr &a, const Expr &b) {
  switch (op) {
  case ReduceOp::Sum:
    return a + b;
  case ReduceOp::Max:
    return max(a, b);
  case ReduceOp::Min:
    return min(a, b);
  }
  return Expr();
}

std::vector<Expr> argsOf(Expr first, const std::vector<Var> &row) {
  std::vector<Expr> args{std::move(first)};
  args.insert(args.end(), row.begin(), row.end());
  return args;
}

} // namespace

RowReduction reduceRow(const std::string &name, ReduceOp op,
                       const Func &value, const Expr &extent,
                       const std::vector<Var> &row, int lanes) {
  Type type = value.output_types()[0];
  Var lane(name + "_lane");
  std::vector<Expr> rowArgs(row.begin(), row.end());

  RDom groups(0, extent / lanes, name + "_groups");
  RowReduction reduction{Func(name + "_partial"), Func(name), groups.x, lanes};
  Func &partial = reduction.partial;
  partial(argsOf(lane, row)) = identity(op, type);
  partial(argsOf(lane, row)) =
      combine(op, partial(argsOf(lane, row)),
              value(argsOf(groups * lanes + lane, row)));

  Func &total = reduction.total;
  total(rowArgs) = identity(op, type);
  RDom fold(0, lanes, name + "_fold");
  total(rowArgs) = combine(op, total(rowArgs), partial(argsOf(fold, row)));
  Expr whole = (extent / lanes) * lanes;
  RDom rest(whole, extent - whole, name + "_rest");
  total(rowArgs) = combine(op, total(rowArgs), value(argsOf(rest, row)));
  return reduction;
}

void scheduleRowReduce(RowReduction reduction, const LoopLevel &at,
                       int vectorWidth) {
  Var lane = reduction.partial.args()[0];
  int width = std::min(vectorWidth, reduction.lanes);
  reduction.partial.compute_at(at).vectorize(lane, width).unroll(lane);
  reduction.partial.update()
      .reorder(lane, reduction.groups)
      .vectorize(lane, width)
      .unroll(lane);
  reduction.total.compute_at(at);
}

} // namespace txc::codegen
