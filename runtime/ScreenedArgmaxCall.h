// Runs a linear_argmax step whose kernel is the int8 vocabulary screen
// (codegen's screen_logits): the kernel writes approximate logits, then
// each row's candidates are rescored in f32 (VocabScreen.h).
#pragma once

#include "runtime/KernelCall.h"
#include "runtime/VocabScreen.h"

namespace txc::runtime {

// What a screened step keeps between calls: scratch for the rows'
// approximate logits, and the limits of the stats and bias it last read,
// which are weights and so the same every step.
struct ScreenedArgmaxState {
  std::vector<float> approx;
  const float *limitsStats = nullptr, *limitsBias = nullptr;
  ScreenLimits limits;
};

// Operands as OpKind::LinearArgmax lists them, the weight unpacked [n, k]
// (as kernel selection leaves it) and the screen and its stats present.
// Fails on a screen that does not match the weight or on a kernel error.
Status callScreenedArgmax(KernelFn kernel, const PlanStep &step,
                          const std::vector<Operand> &operands,
                          const TensorView &result,
                          ScreenedArgmaxState &state);

} // namespace txc::runtime
