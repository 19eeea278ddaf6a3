//===- Gemm.cpp - the GEMM of txc.linear ----------------------------------===//

#include "codegen/kernels/Gemm.h"

#include "codegen/kernels/Activation.h"
#include "codegen/kernels/MatmulTiles.h"
#include "codegen/kernels/TargetTraits.h"
#include "passes/GemmTiles.h"

#include <algorithm>

namespace txc::codegen {

using namespace Halide;

namespace {

// Rows per register tile: as many as the vector registers hold, but few
// enough that the tile's rows of x stay in L1 while a panel streams past
// (measured: 6-8 rows beat 12 at K = 2048), and never below 6, where the
// accumulators would stop hiding the FMA latency.
int defaultRowsPerTile(const GemmParams &params, int panelWidth,
                       const Target &target, const TargetTraits &traits) {
  int byRegisters = defaultGemmRows(target, panelWidth);
  int64_t rowBytes = params.k * int64_t(sizeof(float));
  int64_t byCache = std::max<int64_t>(6, traits.l1Bytes / rowBytes);
  return int(std::min<int64_t>(byRegisters, byCache));
}

} // namespace

int gemmPanelWidth(const GemmParams &params, const Target &target) {
  return params.panelWidth ? params.panelWidth : defaultGemmPanelWidth(target);
}

GemmPipeline buildGemm(const GemmParams &params, const Target &target) {
  throwIfInvalid(params);
  TargetTraits traits = targetTraits(target);
  const int panelWidth = gemmPanelWidth(params, target);
  checkPanelWidth("gemm", panelWidth, traits);
  const int64_t n = params.n, k = params.k;
  const int64_t panels = (n + panelWidth - 1) / panelWidth;

  GemmPipeline gemm;
  gemm.panelWidth = panelWidth;
  gemm.input = ImageParam(Float(32), 2, "x");
  gemm.packedWeight = ImageParam(Float(32), 3, "packed_weight");
  gemm.bias = ImageParam(Float(32), 1, "bias");

  Var col("n"), row("m"), lane("j"), panel("p");
  RDom r(0, int(k), "r");
  Func acc("gemm_acc"), out("gemm");
  acc(lane, panel, row) = 0.0f;
  acc(lane, panel, row) +=
      gemm.input(r, row) * gemm.packedWeight(lane, r, panel);
  Expr value = acc(col % panelWidth, col / panelWidth, row);
  if (params.bias)
    value += gemm.bias(col);
  out(col, row) = applyActivation(params.activation, value);

  constrainBuffer(gemm.input, {k, kDynamic}, /*dense=*/true);
  constrainBuffer(gemm.packedWeight, {panelWidth, k, panels}, true);
  constrainBuffer(gemm.bias, {n}, true);
  constrainBuffer(out.output_buffer(), {n, kDynamic}, true);

  MatmulTiling tiling;
  tiling.vectorWidth = traits.vectorWidth;
  tiling.panelWidth = panelWidth;
  tiling.rows = params.rowsPerTile ? params.rowsPerTile
                                   : defaultRowsPerTile(params, panelWidth,
                                                        target, traits);
  tiling.panelsPerTask =
      params.panelsPerTask
          ? params.panelsPerTask
          : int(gemmPanelsPerTask(n, k, panelWidth, traits.l2Bytes));
  scheduleMatmulTiles(out, acc, col, row, {}, r.x, tiling,
                      out.output_buffer().dim(1).extent());

  gemm.pipeline = Pipeline(out);
  gemm.arguments = {gemm.input, gemm.packedWeight};
  if (params.bias)
    gemm.arguments.push_back(gemm.bias);
  return gemm;
}

} // namespace txc::codegen
