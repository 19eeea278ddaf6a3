//===- Activation.cpp - activation functions as Halide expressions --------===//

#include "codegen/kernels/Activation.h"

#include <cmath>

namespace txc::codegen {

using Halide::Expr;

namespace {

// tanh through exp, because Halide's tanh calls libm per lane. Saturates
// correctly: exp overflowing to inf gives 1, exp underflowing to 0 gives -1.
Expr tanhViaExp(const Expr &z) {
  return 1.0f - 2.0f / (Halide::exp(2.0f * z) + 1.0f);
}

} // namespace

Expr applyActivation(Activation activation, const Expr &x) {
  switch (activation) {
  case Activation::None:
    return x;
  case Activation::Relu:
    return Halide::max(x, 0.0f);
  case Activation::Gelu:
    return 0.5f * x * (1.0f + Halide::erf(x * float(M_SQRT1_2)));
  case Activation::GeluTanh: {
    const float sqrtTwoOverPi = float(std::sqrt(2.0 / M_PI));
    return 0.5f * x * (1.0f + tanhViaExp(sqrtTwoOverPi *
                                         (x + 0.044715f * x * x * x)));
  }
  case Activation::Swish:
    return x / (1.0f + Halide::exp(-x));
  }
  return x;
}

} // namespace txc::codegen
