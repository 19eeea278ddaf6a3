//===- MatmulTiles.h - register-tiled schedule of matrix products -*- C++ -*-===//
//
// The schedule the GEMM and the batched matmul share. Both are written as
//
//   acc(j, panel, m, batch...) = init;
//   acc(j, panel, m, batch...) += A(r, m, ...) * Bpanel(j, r, panel, ...);
//   out(n, m, batch...) = epilogue(acc(n % P, n / P, m, batch...));
//
// so a tile of acc is `rows` x P accumulators that stay in vector registers
// while the reduction runs, and reads P contiguous floats of B per step.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <Halide.h>

#include <vector>

namespace txc::codegen {

/// How a matrix product's output is cut into register tiles and tasks.
struct MatmulTiling {
  int vectorWidth;   ///< floats per vector
  int panelWidth;    ///< P: tile columns, a multiple of vectorWidth
  int rows;          ///< mr: tile rows
  int panelsPerTask; ///< panels of N one parallel task computes
};

/// The loops of out, innermost first, after scheduleMatmulTiles: a tile's
/// columns and rows, its panel within the task, the row tile, the task.
struct MatmulLoops {
  Halide::Var column, row, panel, rowTile, task;
};

/// Schedules `out`(n, m, batch...) and `acc`(j, panel, m, batch...) as above.
/// `rowCount` is out's dynamic extent in m: fewer rows than tiling.rows use
/// tiles of 4 rows, then of 1, so every row count (0 too) is handled. Tasks
/// of `batch` and panel groups run in parallel; for each task, tiles run row
/// tile by row tile, each sweeping the task's panels, so the task's packed
/// B stays in L2 and a row tile of A in L1. With `dotLanes`, the reduction
/// is split in two: `dotLanes` (a few adjacent k, innermost) is summed
/// within each vector lane, as int8 dot-product instructions do, and
/// `reduction` runs over the groups.
MatmulLoops scheduleMatmulTiles(Halide::Func out, Halide::Func acc,
                                const Halide::Var &n, const Halide::Var &m,
                                const std::vector<Halide::Var> &batch,
                                const Halide::RVar &reduction,
                                const MatmulTiling &tiling,
                                const Halide::Expr &rowCount,
                                const Halide::RVar *dotLanes = nullptr);

} // namespace txc::codegen
