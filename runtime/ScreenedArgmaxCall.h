// Runs a linear_argmax step whose kernel is the int8 vocabulary screen
// (codegen's screen_logits): the kernel writes approximate logits, then
// each row's candidates are rescored in f32 (VocabScreen.h).
#pragma once

#include "runtime/KernelCall.h"

namespace txc::runtime {

// Operands as OpKind::LinearArgmax lists them, the weight unpacked [n, k]
// (as kernel selection leaves it) and the screen and its stats present;
// `approx` is scratch for the rows' approximate logits. Fails on a screen
// that does not match the weight or on a kernel error.
Status callScreenedArgmax(KernelFn kernel, const PlanStep &step,
                          const std::vector<Operand> &operands,
                          const TensorView &result,
                          std::vector<float> &approx);

} // namespace txc::runtime
