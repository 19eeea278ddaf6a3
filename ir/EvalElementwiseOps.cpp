// Elementwise ops: scaling, sums and activations, computed in double.
#include "ir/EvalOps.h"

#include <cmath>

using namespace txc;

namespace {

template <typename Fn> EvalValue map(const EvalValue &x, Fn fn) {
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(xv.size());
  for (size_t i = 0; i < xv.size(); ++i)
    out[i] = static_cast<float>(fn(static_cast<double>(xv[i])));
  return EvalValue::f32(x.shape().vec(), std::move(out));
}

} // namespace

EvalResult txc::evaluate(ScaleOp op, EvalOperands operands) {
  double factor = op.factor().convertToDouble();
  return map(operands[0], [&](double x) { return x * factor; });
}

EvalResult txc::evaluate(AddOp op, EvalOperands operands) {
  const EvalValue &a = operands[0], &b = operands[1];
  if (a.shape() != b.shape())
    return opError(op, "operand shapes differ: " + shapeString(a.shape()) +
                           " and " + shapeString(b.shape()));
  llvm::ArrayRef<float> av = a.f32(), bv = b.f32();
  std::vector<float> out(av.size());
  for (size_t i = 0; i < av.size(); ++i)
    out[i] = static_cast<float>(static_cast<double>(av[i]) + bv[i]);
  return EvalValue::f32(a.shape().vec(), std::move(out));
}

double txc::activation::relu(double x) { return x > 0 ? x : 0.0; }

double txc::activation::gelu(double x) {
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}

double txc::activation::geluTanh(double x) {
  const double c = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

double txc::activation::swish(double x) { return x / (1 + std::exp(-x)); }

EvalResult txc::evaluate(ReluOp, EvalOperands operands) {
  return map(operands[0], activation::relu);
}

EvalResult txc::evaluate(GeluOp, EvalOperands operands) {
  return map(operands[0], activation::gelu);
}

EvalResult txc::evaluate(GeluTanhOp, EvalOperands operands) {
  return map(operands[0], activation::geluTanh);
}

EvalResult txc::evaluate(SwishOp, EvalOperands operands) {
  return map(operands[0], activation::swish);
}
