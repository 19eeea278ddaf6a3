// Calls a Halide kernel for one plan step. A kernel is an AOT pipeline's
// argv entry point, `int name_argv(void **args)`, with
//   args = [tensor operands in operand order (absent optional ones and
//           index operands left out), as halide_buffer_t*;
//           then each of the step's `params`, as a pointer to a scalar of
//           its type (an index operand's value or a numeric attribute);
//           then the result, as halide_buffer_t*]
// Buffers list dims innermost first (Halide order), min 0, strides in
// elements, host pointing at the data; f32 tensors are float32, i32 int32,
// i8 (a view of an i32 tensor's bytes, VocabScreen.h) int8.
#pragma once

#include "runtime/Builtins.h"

#include <map>
#include <string>

namespace txc::runtime {

using KernelFn = int (*)(void **args);
using KernelTable = std::map<std::string, KernelFn>;

// Runs `kernel` on the step's operands, writing `result`. Fails if a dim or
// stride does not fit Halide's 32-bit fields or the kernel returns nonzero.
Status callKernel(KernelFn kernel, const PlanStep &step,
                  const std::vector<Operand> &operands,
                  const TensorView &result);

} // namespace txc::runtime
