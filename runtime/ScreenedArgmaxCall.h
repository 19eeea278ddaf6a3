// Runs a linear_argmax step whose kernel is the int8 vocabulary screen
// (codegen's screen_logits): the kernel writes approximate logits, then
// each row's candidates are rescored in f32 (VocabScreen.h).
#pragma once

#include "runtime/KernelCall.h"
#include "runtime/VocabScreen.h"

#include <optional>

namespace txc::runtime {

// The screen's limits (VocabScreen.h) of `stats` [kScreenStats, n] and
// `bias` [n] (null: none), or nothing when their shapes do not fit.
std::optional<ScreenLimits> screenLimitsOf(const TensorView &stats,
                                           const TensorView *bias);

// Operands as OpKind::LinearArgmax lists them, the weight unpacked [n, k]
// (as kernel selection leaves it) and the screen and its stats present;
// `approx` is scratch for the rows' approximate logits. `limits` are those
// of the stats and bias operands when the caller computed them once (they
// are weights, the same every call); null computes them here. Fails on a
// screen that does not match the weight or on a kernel error.
Status callScreenedArgmax(KernelFn kernel, const PlanStep &step,
                          const std::vector<Operand> &operands,
                          const TensorView &result, std::vector<float> &approx,
                          const ScreenLimits *limits);

} // namespace txc::runtime
