//===- BatchMatmul.cpp - batched matmul with transpose flags --------------===//
//
// The operands arrive unpacked, so each task first copies the columns of B
// it needs into panels (the layout the GEMM's weights are prepacked in) and
// then runs the GEMM's register tiles over them.
//
//===----------------------------------------------------------------------===//

#include "codegen/kernels/BatchMatmul.h"

#include "codegen/kernels/MatmulTiles.h"
#include "codegen/kernels/TargetTraits.h"

namespace txc::codegen {

using namespace Halide;

namespace {

// Attention's products are small (N = keys or the head dim): one task per
// batch element usually covers all of N.
constexpr int kPanelsPerTask = 8;

// A static extent, or the dynamic one `dynamicExtent` gives.
Expr extentOf(int64_t extent, const Expr &dynamicExtent) {
  return extent == kDynamic ? dynamicExtent : Expr(int(extent));
}

} // namespace

BatchMatmulPipeline buildBatchMatmul(const BatchMatmulParams &params,
                                     const Target &target) {
  throwIfInvalid(params);
  TargetTraits traits = targetTraits(target);
  const int panelWidth = defaultGemmPanelWidth(target);

  BatchMatmulPipeline matmul;
  matmul.lhs = ImageParam(Float(32), 3, "a");
  matmul.rhs = ImageParam(Float(32), 3, "b");
  ImageParam &a = matmul.lhs, &b = matmul.rhs;

  // Halide dims are innermost first: a is (k, m) or (m, k), b (n, k) or (k, n).
  Expr rows = extentOf(params.m, a.dim(params.transposeA ? 0 : 1).extent());
  Expr cols = extentOf(params.n, b.dim(params.transposeB ? 1 : 0).extent());
  Expr depth = extentOf(params.k, a.dim(params.transposeA ? 1 : 0).extent());

  Var col("n"), row("m"), batch("batch"), lane("j"), panel("p"), kk("k");
  Func lhs("lhs"), rhs("rhs"), packed("rhs_packed"), acc("batch_matmul_acc"),
      out("batch_matmul");
  lhs(kk, row, batch) = params.transposeA ? a(row, kk, batch) : a(kk, row, batch);
  rhs(col, kk, batch) = params.transposeB ? b(kk, col, batch) : b(col, kk, batch);
  // Columns past N (in the last panel) repeat column N - 1; their results
  // are never stored.
  Expr source = panel * panelWidth + lane;
  if (params.n == kDynamic || params.n % panelWidth != 0)
    source = clampedIndex(source, cols);
  packed(lane, kk, panel, batch) = rhs(source, kk, batch);
  RDom r(0, depth, "r");
  acc(lane, panel, row, batch) = 0.0f;
  acc(lane, panel, row, batch) +=
      lhs(r, row, batch) * packed(lane, r, panel, batch);
  out(col, row, batch) = acc(col % panelWidth, col / panelWidth, row, batch);

  // Static extents pin the operands; the extents the operands share (K and
  // the batch) must agree.
  constrainBuffer(a, params.transposeA ? std::vector<int64_t>{params.m, params.k}
                                       : std::vector<int64_t>{params.k, params.m},
                  /*dense=*/false);
  constrainBuffer(b, params.transposeB ? std::vector<int64_t>{params.k, params.n}
                                       : std::vector<int64_t>{params.n, params.k},
                  false);
  b.dim(params.transposeB ? 0 : 1).set_extent(depth);
  b.dim(2).set_extent(a.dim(2).extent());
  OutputImageParam result = out.output_buffer();
  constrainBuffer(result, {params.n, params.m}, /*dense=*/true);
  result.dim(0).set_extent(cols);
  result.dim(1).set_extent(rows);
  result.dim(2).set_extent(a.dim(2).extent());

  MatmulTiling tiling;
  tiling.vectorWidth = traits.vectorWidth;
  tiling.panelWidth = panelWidth;
  tiling.rows = defaultGemmRows(target, panelWidth);
  tiling.panelsPerTask = kPanelsPerTask;
  MatmulLoops loops =
      scheduleMatmulTiles(out, acc, col, row, {batch}, r.x, tiling, rows);
  packed.compute_at(out, loops.task).vectorize(lane, traits.vectorWidth);

  matmul.pipeline = Pipeline(out);
  matmul.arguments = {a, b};
  return matmul;
}

} // namespace txc::codegen
