//===- MatmulTiles.cpp - register-tiled schedule of matrix products -------===//

#include "codegen/kernels/MatmulTiles.h"

#include <algorithm>
#include <string>

namespace txc::codegen {

using namespace Halide;

namespace {

// Row tiles for row counts below the main tile: small enough that any
// decoder step (one row per hypothesis) still runs mostly in full tiles.
constexpr int kSmallRows = 4;

void tileStage(Stage stage, const Var &n, const Var &m,
               const std::vector<Var> &batch, const MatmulTiling &tiling,
               int rows, const MatmulLoops &loops) {
  // ShiftInwards recomputes a few rows of the last tile instead of adding a
  // guard inside the tile; it needs at least `rows` rows, which the caller's
  // specializations ensure.
  Var group = batch.empty() ? loops.task : Var("panel_group");
  stage.split(n, loops.panel, loops.column, tiling.panelWidth,
              TailStrategy::GuardWithIf)
      .split(m, loops.rowTile, loops.row, rows, TailStrategy::ShiftInwards)
      .split(loops.panel, group, loops.panel, tiling.panelsPerTask,
             TailStrategy::GuardWithIf)
      .reorder(loops.column, loops.row, loops.panel, loops.rowTile, group);
  stage.vectorize(loops.column, tiling.vectorWidth, TailStrategy::GuardWithIf)
      .unroll(loops.column)
      .unroll(loops.row);
  // Batch rows and panel groups form one parallel loop, named alike in
  // every specialization so compute_at(task) means the same in each.
  Var outer = group;
  for (size_t i = 0; i < batch.size(); ++i) {
    Var fused = i + 1 == batch.size() ? loops.task
                                      : Var("task_" + std::to_string(i));
    stage.fuse(outer, batch[i], fused);
    outer = fused;
  }
  stage.parallel(loops.task);
}

} // namespace

MatmulLoops scheduleMatmulTiles(Func out, Func acc, const Var &n, const Var &m,
                                const std::vector<Var> &batch,
                                const RVar &reduction,
                                const MatmulTiling &tiling,
                                const Expr &rowCount, const RVar *dotLanes) {
  MatmulLoops loops{Var("column"), Var("row"), Var("panel"), Var("row_tile"),
                    Var("task")};

  if (tiling.rows > kSmallRows) {
    tileStage(out.specialize(rowCount >= tiling.rows), n, m, batch, tiling,
              tiling.rows, loops);
  }
  if (tiling.rows > 1) {
    int small = std::min(tiling.rows, kSmallRows);
    tileStage(out.specialize(rowCount >= small), n, m, batch, tiling, small,
              loops);
  }
  tileStage(out, n, m, batch, tiling, 1, loops);

  std::vector<Var> accVars = acc.args();
  const Var &column = accVars[0], &row = accVars[2];
  acc.compute_at(out, loops.panel)
      .vectorize(column, tiling.vectorWidth)
      .unroll(column)
      .unroll(row);
  Stage update = acc.update();
  if (dotLanes) {
    const Var &panel = accVars[1];
    update.reorder(*dotLanes, column, row, panel, reduction)
        .atomic()
        .vectorize(*dotLanes);
  } else {
    update.reorder(column, row, reduction);
  }
  update.vectorize(column, tiling.vectorWidth).unroll(column).unroll(row);
  return loops;
}

} // namespace txc::codegen
