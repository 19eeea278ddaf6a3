#include "runtime/BuiltinOps.h"

#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace txc::runtime::builtins {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kElementGrain = 1 << 14;

const char *activationOf(OpKind kind) {
  switch (kind) {
  case OpKind::Relu:
    return "relu";
  case OpKind::Gelu:
    return "gelu";
  case OpKind::GeluTanh:
    return "gelu_tanh";
  default:
    return "swish";
  }
}

// Calls fn(row, length) for each last-axis row of `t`, in parallel.
template <typename Fn>
void forEachRow(const TensorView &t, Fn fn) {
  const int64_t width = t.shape.empty() ? 1 : t.shape.back();
  const int64_t rows = width ? t.numel() / width : 0;
  int64_t grain = std::max<int64_t>(1, kElementGrain / std::max<int64_t>(width, 1));
  parallelFor(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      fn(r, width);
  });
}

} // namespace

void applyActivation(const std::string &activation, float *v, int64_t n) {
  if (activation == "relu") {
    for (int64_t i = 0; i < n; ++i)
      v[i] = std::max(v[i], 0.0f);
  } else if (activation == "gelu") {
    for (int64_t i = 0; i < n; ++i)
      v[i] = 0.5f * v[i] * (1.0f + std::erf(v[i] * float(M_SQRT1_2)));
  } else if (activation == "gelu_tanh") {
    const float k = std::sqrt(2.0f / float(M_PI));
    for (int64_t i = 0; i < n; ++i) {
      float x = v[i];
      v[i] = 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
    }
  } else {
    for (int64_t i = 0; i < n; ++i)
      v[i] = v[i] / (1.0f + std::exp(-v[i]));
  }
}

Status elementwise(const PlanStep &step, const Operands &ops,
                   const TensorView &out) {
  const float *x = ops[0].tensor.f32();
  float *y = out.f32();
  const int64_t n = out.numel();
  const float *rhs = step.kind == OpKind::Add ? ops[1].tensor.f32() : nullptr;
  const float factor = static_cast<float>(step.attrFloat("factor", 1.0));
  parallelFor(n, kElementGrain, [&](int64_t begin, int64_t end) {
    switch (step.kind) {
    case OpKind::Add:
      for (int64_t i = begin; i < end; ++i)
        y[i] = x[i] + rhs[i];
      return;
    case OpKind::Scale:
      for (int64_t i = begin; i < end; ++i)
        y[i] = x[i] * factor;
      return;
    default:
      std::copy(x + begin, x + end, y + begin);
      applyActivation(activationOf(step.kind), y + begin, end - begin);
    }
  });
  return Status::success();
}

Status paddingMask(const Operands &ops, const TensorView &out) {
  const TensorView &scores = ops[0].tensor, &lengths = ops[1].tensor;
  // scores are [batch, heads, queries, keys].
  const int64_t rowsPerBatch = scores.shape[1] * scores.shape[2];
  forEachRow(scores, [&](int64_t r, int64_t keys) {
    int64_t length = lengths.i32()[r / rowsPerBatch];
    const float *src = scores.f32() + r * keys;
    float *dst = out.f32() + r * keys;
    for (int64_t k = 0; k < keys; ++k)
      dst[k] = k >= length ? kNegInf : src[k];
  });
  return Status::success();
}

Status causalMask(const Operands &ops, const TensorView &out) {
  const TensorView &scores = ops[0].tensor;
  const int64_t queries = scores.shape[scores.rank() - 2];
  const int64_t offset = ops[1].index;
  forEachRow(scores, [&](int64_t r, int64_t keys) {
    int64_t q = r % queries;
    const float *src = scores.f32() + r * keys;
    float *dst = out.f32() + r * keys;
    for (int64_t k = 0; k < keys; ++k)
      dst[k] = k > q + offset ? kNegInf : src[k];
  });
  return Status::success();
}

void softmaxRow(float *row, int64_t n) {
  float maxValue = kNegInf;
  for (int64_t i = 0; i < n; ++i)
    maxValue = std::max(maxValue, row[i]);
  if (maxValue == kNegInf) {
    std::fill(row, row + n, 0.0f);
    return;
  }
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    row[i] = std::exp(row[i] - maxValue);
    sum += row[i];
  }
  float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i)
    row[i] *= inv;
}

Status softmax(const Operands &ops, const TensorView &out) {
  const TensorView &x = ops[0].tensor;
  forEachRow(x, [&](int64_t r, int64_t width) {
    std::copy(x.f32() + r * width, x.f32() + (r + 1) * width,
              out.f32() + r * width);
    softmaxRow(out.f32() + r * width, width);
  });
  return Status::success();
}

Status layerNorm(const PlanStep &step, const Operands &ops,
                 const TensorView &out) {
  const bool residual = step.kind == OpKind::AddLayerNorm;
  const TensorView &x = ops[0].tensor;
  const float *rhs = residual ? ops[1].tensor.f32() : nullptr;
  const float *gamma = ops[residual ? 2 : 1].tensor.f32();
  const float *beta = ops[residual ? 3 : 2].tensor.f32();
  const double eps = step.attrFloat("eps");
  forEachRow(x, [&](int64_t r, int64_t width) {
    const float *src = x.f32() + r * width;
    float *dst = out.f32() + r * width;
    for (int64_t i = 0; i < width; ++i)
      dst[i] = rhs ? src[i] + rhs[r * width + i] : src[i];
    double sum = 0, sumSq = 0;
    for (int64_t i = 0; i < width; ++i)
      sum += dst[i];
    double mean = sum / double(width);
    for (int64_t i = 0; i < width; ++i) {
      double c = dst[i] - mean;
      sumSq += c * c;
    }
    float invStd = static_cast<float>(1.0 / std::sqrt(sumSq / double(width) + eps));
    float m = static_cast<float>(mean);
    for (int64_t i = 0; i < width; ++i)
      dst[i] = (dst[i] - m) * invStd * gamma[i] + beta[i];
  });
  return Status::success();
}

} // namespace txc::runtime::builtins
