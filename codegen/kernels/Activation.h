//===- Activation.h - activation functions as Halide expressions -*- C++ -*-===//
#pragma once

#include "codegen/KernelParams.h"

#include <Halide.h>

namespace txc::codegen {

/// `activation` applied to the Float(32) expression `x`; vectorizes
/// cleanly (exp and erf only, no scalar libm calls).
Halide::Expr applyActivation(Activation activation, const Halide::Expr &x);

} // namespace txc::codegen
