//===- RowReduce.h - vectorizable reductions along a row --------*- C++ -*-===//
//
// Softmax, LayerNorm and the vocabulary reductions reduce along the
// innermost axis. A plain Halide reduction carries one scalar through a
// serial loop; RowReduce keeps `lanes` partial results instead (several
// vectors, for instruction-level parallelism), reduces whole groups of
// `lanes` elements into them, then folds the partials and the leftover
// elements into one value per row.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <Halide.h>

#include <string>
#include <vector>

namespace txc::codegen {

enum class ReduceOp { Sum, Max, Min };

/// The two stages of a row reduction, to be scheduled by the caller (see
/// scheduleRowReduce).
struct RowReduction {
  Halide::Func partial; ///< partial(lane, row...): one result per lane
  Halide::Func total;   ///< total(row...): the reduction of the whole row
  Halide::RVar groups;  ///< partial's loop over groups of `lanes` elements
  int lanes;
};

/// Reduces value(i, row...) over i in [0, extent) with `op`. `value` must be
/// defined (in bounds) exactly on [0, extent).
RowReduction reduceRow(const std::string &name, ReduceOp op,
                       const Halide::Func &value, const Halide::Expr &extent,
                       const std::vector<Halide::Var> &row, int lanes);

/// Computes both stages once per iteration of `at`, the partials as vectors
/// of `vectorWidth`.
void scheduleRowReduce(RowReduction reduction,
                       const Halide::LoopLevel &at, int vectorWidth);

} // namespace txc::codegen
