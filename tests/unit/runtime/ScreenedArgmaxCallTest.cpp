// A screened linear_argmax run by the executor: the int8 screen's logits
// come from a stand-in kernel (the screen kernel's definition, VocabScreen.h),
// and the executor supplies the bound's limits, computed once from the stats
// and bias weights. The row is built so that the screen ranks the wrong
// token first: only a bound that covers the quantization error keeps the
// f32 argmax a candidate.

#include "runtime/PlanExecutor.h"
#include "runtime/VocabScreen.h"

#include "PlanBuilder.h"

#include <HalideRuntime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

constexpr int kVocab = 64, kFeatures = 8, kPanel = 32;
constexpr int32_t kExactBest = 7, kScreenBest = 40;

// The screen kernel's logits by its definition: args are x [rows, k], the
// screen as bytes [panels, k / 4, 4 P], stats [4, n], bias [n], out [rows, n].
int screenKernel(void **args) {
  auto *x = static_cast<halide_buffer_t *>(args[0]);
  auto *screen = static_cast<halide_buffer_t *>(args[1]);
  auto *stats = static_cast<halide_buffer_t *>(args[2]);
  auto *bias = static_cast<halide_buffer_t *>(args[3]);
  auto *out = static_cast<halide_buffer_t *>(args[4]);
  const int k = x->dim[0].extent, rows = x->dim[1].extent;
  const int n = out->dim[0].extent;
  const auto *xs = reinterpret_cast<const float *>(x->host);
  const auto *q = reinterpret_cast<const int8_t *>(screen->host);
  const auto *scale = reinterpret_cast<const float *>(stats->host);
  const auto *sumQ = scale + n;
  const auto *b = reinterpret_cast<const float *>(bias->host);
  auto *logits = reinterpret_cast<float *>(out->host);
  for (int r = 0; r < rows; ++r) {
    const float *row = xs + r * k;
    float largest = 0;
    for (int i = 0; i < k; ++i)
      largest = std::max(largest, std::fabs(row[i]));
    const float inverse = largest > 0 ? 127.0f / largest : 0.0f;
    for (int v = 0; v < n; ++v) {
      const int8_t *panel = q + size_t(v / kPanel) * k * kPanel;
      int64_t dot = 0;
      for (int i = 0; i < k; ++i) {
        float u = std::clamp(std::nearbyint(row[i] * inverse), -127.0f,
                             127.0f) + 128.0f;
        dot += int64_t(u) *
               panel[(i / 4) * 4 * kPanel + 4 * (v % kPanel) + i % 4];
      }
      dot -= 128 * int64_t(sumQ[v]);
      logits[r * n + v] =
          float(dot) * ((largest / 127.0f) * scale[v]) + b[v];
    }
  }
  return 0;
}

struct ScreenedPlan {
  PlanFunction fn;
  std::vector<float> w, bias, stats;
  std::vector<int32_t> screen; // the bytes, in i32 words
  WeightTable weights;

  ScreenedPlan() {
    // Small logits everywhere but two tokens. kExactBest's small features
    // quantize to 0 at its scale, so the screen sees 1.0 for a logit of
    // 1.0117, below kScreenBest's exact 1.01.
    w.resize(size_t(kVocab) * kFeatures);
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = 0.05f * std::sin(float(i));
    float *exact = &w[size_t(kExactBest) * kFeatures];
    std::fill(exact, exact + kFeatures, 0.0f);
    exact[0] = 1.0f;
    exact[1] = exact[2] = exact[3] = 0.0039f;
    float *screened = &w[size_t(kScreenBest) * kFeatures];
    std::fill(screened, screened + kFeatures, 0.0f);
    screened[0] = 1.01f;
    bias.assign(kVocab, 0.0f);
    const int panels = (kVocab + kPanel - 1) / kPanel;
    screen.assign(size_t(panels) * kFeatures / 4 * kPanel, 0);
    stats.assign(size_t(kScreenStats) * kVocab, 0.0f);
    quantizeScreen(w.data(), kVocab, kFeatures, kPanel,
                   reinterpret_cast<int8_t *>(screen.data()), stats.data());

    FunctionBuilder f("decode_step_argmax");
    int x = f.arg(DType::F32, {-1, kFeatures});
    int wId = f.weight("lm_head.weight", {kVocab, kFeatures});
    int none = f.constant(-1);
    int bId = f.weight("lm_head.bias", {kVocab});
    int sId = f.weight("lm_head.screen", {panels, kFeatures / 4, kPanel});
    f.fn.values[sId].dtype = DType::I32;
    int statsId = f.weight("lm_head.stats", {kScreenStats, kVocab});
    int token = f.step(OpKind::LinearArgmax, {x, wId, none, bId, sId, statsId},
                       {-1}, {{"out_features", int64_t(kVocab)}}, "lm_head");
    f.last().kernel = "screen_k";
    f.last().kernelRanks = {2, 3, 2, 1, 2};
    f.results({token});
    fn = f.fn;
    weights["lm_head.weight"] =
        TensorView(DType::F32, {kVocab, kFeatures}, w.data());
    weights["lm_head.bias"] = TensorView(DType::F32, {kVocab}, bias.data());
    weights["lm_head.screen"] = TensorView(
        DType::I32, {panels, kFeatures / 4, kPanel}, screen.data());
    weights["lm_head.stats"] =
        TensorView(DType::F32, {kScreenStats, kVocab}, stats.data());
  }

  int32_t run(bool useKernels) const {
    ExecutorOptions options;
    options.useKernels = useKernels;
    std::unique_ptr<PlanExecutor> e;
    Status s = PlanExecutor::create(fn, weights, {{"screen_k", &screenKernel}},
                                    options, e);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok())
      return -100;
    std::vector<float> x(kFeatures, 1.0f);
    std::vector<Binding> results;
    s = e->run({Binding::ofTensor(TensorView(DType::F32, {1, kFeatures},
                                             x.data()))},
               results);
    EXPECT_TRUE(s.ok()) << s.message();
    return s.ok() ? results[0].tensor.i32()[0] : -100;
  }
};

TEST(ScreenedArgmaxCall, KeepsTheF32ArgmaxTheScreenRanksSecond) {
  ScreenedPlan plan;
  // The premise: the screen alone would choose kScreenBest.
  std::vector<float> x(kFeatures, 1.0f), approx(kVocab);
  std::vector<int8_t> bytes(plan.screen.size() * 4);
  halide_dimension_t xDims[2] = {{0, kFeatures, 1}, {0, 1, kFeatures}};
  halide_dimension_t outDims[2] = {{0, kVocab, 1}, {0, 1, kVocab}};
  halide_buffer_t xb{}, sb{}, statsb{}, bb{}, outb{};
  xb.host = reinterpret_cast<uint8_t *>(x.data());
  xb.dim = xDims;
  sb.host = reinterpret_cast<uint8_t *>(plan.screen.data());
  statsb.host = reinterpret_cast<uint8_t *>(plan.stats.data());
  bb.host = reinterpret_cast<uint8_t *>(plan.bias.data());
  outb.host = reinterpret_cast<uint8_t *>(approx.data());
  outb.dim = outDims;
  void *args[] = {&xb, &sb, &statsb, &bb, &outb};
  ASSERT_EQ(screenKernel(args), 0);
  EXPECT_EQ(std::max_element(approx.begin(), approx.end()) - approx.begin(),
            kScreenBest);
  EXPECT_LT(approx[kExactBest], approx[kScreenBest]);

  EXPECT_EQ(plan.run(/*useKernels=*/false), kExactBest);
  EXPECT_EQ(plan.run(/*useKernels=*/true), kExactBest);
}

} // namespace
