#include "runtime/ScreenedArgmaxCall.h"

#include "runtime/PanelLayout.h"
#include "runtime/ThreadPool.h"

namespace txc::runtime {

std::optional<ScreenLimits> screenLimitsOf(const TensorView &stats,
                                           const TensorView *bias) {
  if (stats.rank() != 2 || stats.shape[0] != kScreenStats || !stats.isDense())
    return std::nullopt;
  const int64_t n = stats.shape[1];
  if (bias && (bias->shape != Dims{n} || !bias->isDense()))
    return std::nullopt;
  return screenLimits(stats.f32(), bias ? bias->f32() : nullptr, n);
}

Status callScreenedArgmax(KernelFn kernel, const PlanStep &step,
                          const std::vector<Operand> &operands,
                          const TensorView &result, std::vector<float> &approx,
                          const ScreenLimits *limits) {
  const TensorView &x = operands[0].tensor, &weight = operands[1].tensor;
  const TensorView &screen = operands[4].tensor, &stats = operands[5].tensor;
  const int64_t k = x.shape.back(), rows = result.numel();
  if (!operands[4].present || !operands[5].present || !x.isDense() ||
      !weight.isDense() || weight.rank() != 2 || weight.shape[1] != k)
    return Status::failure("linear_argmax: the kernel needs dense rows, an "
                           "unpacked weight of rows of " + std::to_string(k) +
                           " and its screen, got weight " +
                           formatDims(weight.shape));
  const int64_t n = weight.shape[0];
  const Dims &s = screen.shape;
  if (k % 4 != 0 || s.size() != 3 || s[1] != k / 4 ||
      !panelsHoldRows({s[0], k, s[2]}, n) ||
      stats.shape != Dims{kScreenStats, n})
    return Status::failure("linear_argmax: screen " + formatDims(s) +
                           " and stats " + formatDims(stats.shape) +
                           " do not match a weight of " + std::to_string(n) +
                           " rows of " + std::to_string(k));

  std::vector<Operand> inputs(4);
  inputs[0] = operands[0];
  inputs[1].present = true;
  inputs[1].tensor = TensorView(DType::I8, {s[0], s[1], 4 * s[2]}, screen.data);
  inputs[2] = operands[5];
  inputs[3] = operands[3];
  approx.resize(size_t(rows * n));
  TensorView logits(DType::F32, {rows, n}, approx.data());
  if (Status st = callKernel(kernel, step, inputs, logits); !st.ok())
    return st;

  const float *bias = operands[3].present ? operands[3].tensor.f32() : nullptr;
  const int64_t maskedIndex = operands[2].index;
  const int32_t masked =
      maskedIndex >= 0 && maskedIndex < n ? int32_t(maskedIndex) : -1;
  const WeightRows w{weight.f32(), k};
  const ScreenLimits stepLimits =
      limits ? *limits : screenLimits(stats.f32(), bias, n);
  parallelFor(rows, 1, [&](int64_t begin, int64_t end) {
    // Per thread, so a step allocates nothing once the first has run.
    thread_local ScreenScratch scratch;
    for (int64_t r = begin; r < end; ++r)
      result.i32()[r] =
          screenedArgmax(x.f32() + r * k, approx.data() + r * n, stats.f32(),
                         stepLimits, w, bias, n, masked, scratch);
  });
  return Status::success();
}

} // namespace txc::runtime
