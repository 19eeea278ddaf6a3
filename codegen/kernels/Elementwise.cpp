//===- Elementwise.cpp - activations, add and scale -----------------------===//

#include "codegen/kernels/Elementwise.h"

#include "codegen/kernels/Activation.h"
#include "codegen/kernels/TargetTraits.h"

namespace txc::codegen {

using namespace Halide;

namespace {

// Elements per parallel task: memory-bound work, so large tasks; tensors
// smaller than two tasks run on one thread.
constexpr int kElementsPerTask = 1 << 15;

} // namespace

ElementwisePipeline buildElementwise(const ElementwiseParams &params,
                                     const Target &target) {
  throwIfInvalid(params);
  const int vectorWidth = targetTraits(target).vectorWidth;

  ElementwisePipeline elementwise;
  elementwise.input = ImageParam(Float(32), 1, "x");
  elementwise.other = ImageParam(Float(32), 1, "y");

  Var i("i");
  Expr value = elementwise.input(i);
  if (params.add)
    value += elementwise.other(i);
  if (params.scale != 1.0f)
    value *= params.scale;
  Func out("elementwise");
  out(i) = applyActivation(params.activation, value);

  constrainBuffer(elementwise.input, {}, /*dense=*/true);
  constrainBuffer(elementwise.other, {}, true);
  constrainBuffer(out.output_buffer(), {}, true);
  out.output_buffer().dim(0).set_extent(elementwise.input.dim(0).extent());

  Var task("task");
  out.vectorize(i, vectorWidth, TailStrategy::GuardWithIf);
  out.specialize(elementwise.input.dim(0).extent() >= 2 * kElementsPerTask)
      .split(i, task, i, kElementsPerTask, TailStrategy::GuardWithIf)
      .parallel(task);

  elementwise.pipeline = Pipeline(out);
  elementwise.arguments = {elementwise.input};
  if (params.add)
    elementwise.arguments.push_back(elementwise.other);
  return elementwise;
}

} // namespace txc::codegen
