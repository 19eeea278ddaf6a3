//===- ScreenLogits.cpp - int8 logits of the vocabulary screen ------------===//
//
// Each row of x is quantized to unsigned bytes around 128 and multiplied
// with the signed-byte screen in 32-bit sums of four products, the shape of
// the AVX-512 VNNI dot product (vpdpbusd), so a vector instruction does 64
// multiply-adds where f32 does 16. The layouts and the error bound are
// runtime/VocabScreen.h's.
//
//===----------------------------------------------------------------------===//

#include "codegen/kernels/ScreenLogits.h"

#include "codegen/kernels/MatmulTiles.h"
#include "codegen/kernels/TargetTraits.h"

namespace txc::codegen {

using namespace Halide;
using namespace Halide::ConciseCasts;

ScreenLogitsPipeline buildScreenLogits(const ScreenLogitsParams &params,
                                       const Target &target) {
  throwIfInvalid(params);
  TargetTraits traits = targetTraits(target);
  const int width = params.panelWidth;
  checkPanelWidth("screen_logits", width, traits);
  const int64_t n = params.n, k = params.k, panels = (n + width - 1) / width;

  ScreenLogitsPipeline screen;
  screen.input = ImageParam(Float(32), 2, "x");
  screen.screen = ImageParam(Int(8), 3, "screen");
  screen.stats = ImageParam(Float(32), 2, "stats");
  screen.bias = ImageParam(Float(32), 1, "bias");

  Var kk("k"), col("n"), row("m"), lane("j"), panel("p");
  RDom all(0, int(k), "all");
  Func largest("largest"), inverse("inverse"), quantized("quantized");
  largest(row) = maximum(abs(screen.input(all, row)));
  // A zero row quantizes to zeros (u = 128) rather than dividing by zero.
  inverse(row) = select(largest(row) > 0.0f, 127.0f / largest(row), 0.0f);
  quantized(kk, row) = u8(
      clamp(round(screen.input(kk, row) * inverse(row)), -127.0f, 127.0f) +
      128.0f);

  RDom r(0, 4, 0, int(k / 4), "r");
  Func acc("screen_acc"), out("screen_logits");
  acc(lane, panel, row) = 0;
  acc(lane, panel, row) += i32(quantized(r.x + 4 * r.y, row)) *
                           i32(screen.screen(r.x + 4 * lane, r.y, panel));
  // sum (u - 128) q = sum u q - 128 sum q; the sum of q is exact in f32.
  Expr dot = acc(col % width, col / width, row) -
             128 * i32(screen.stats(col, 1));
  Expr value = f32(dot) * ((largest(row) / 127.0f) * screen.stats(col, 0));
  if (params.bias)
    value += screen.bias(col);
  out(col, row) = value;

  constrainBuffer(screen.input, {k, kDynamic}, /*dense=*/true);
  constrainBuffer(screen.screen, {4 * width, k / 4, panels}, true);
  constrainBuffer(screen.stats, {n, 4}, true);
  constrainBuffer(screen.bias, {n}, true);
  constrainBuffer(out.output_buffer(), {n, kDynamic}, true);

  Expr rows = out.output_buffer().dim(1).extent();
  largest.compute_root();
  inverse.compute_root();
  quantized.compute_root().vectorize(kk, traits.vectorWidth,
                                     TailStrategy::GuardWithIf);
  MatmulTiling tiling;
  tiling.vectorWidth = traits.vectorWidth;
  tiling.panelWidth = width;
  tiling.rows = params.rowsPerTile;
  tiling.panelsPerTask = params.panelsPerTask;
  scheduleMatmulTiles(out, acc, col, row, {}, r.y, tiling, rows, &r.x);

  screen.pipeline = Pipeline(out);
  screen.arguments = {screen.input, screen.screen, screen.stats};
  if (params.bias)
    screen.arguments.push_back(screen.bias);
  return screen;
}

} // namespace txc::codegen
