#include "runtime/PlanExecutor.h"

#include "PlanBuilder.h"

#include <HalideRuntime.h>
#include <gtest/gtest.h>

#include <cmath>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

// embedding -> sinusoid positions -> linear -> softmax over a vocabulary
// of 5, d = 4, 3 outputs.
struct SmallPlan {
  PlanFunction fn;
  std::vector<float> table, w, b;
  WeightTable weights;
  int positionsStep = -1, linearStep = -1;

  SmallPlan() {
    FunctionBuilder f("encode");
    int ids = f.arg(DType::I32, {-1, -1});
    int tableId = f.weight("embed", {5, 4});
    int x = f.step(OpKind::Embedding, {tableId, ids}, {-1, -1, 4}, {{"scale", 2.0}});
    int start = f.constant(1);
    x = f.step(OpKind::SinusoidPositions, {x, start}, {-1, -1, 4},
               {{"layout", std::string("interleaved")}, {"offset", int64_t(0)}});
    positionsStep = static_cast<int>(f.fn.steps.size()) - 1;
    int wId = f.weight("proj.weight", {3, 4});
    int bId = f.weight("proj.bias", {3});
    x = f.step(OpKind::Linear, {x, wId, bId}, {-1, -1, 3}, {}, "proj");
    linearStep = static_cast<int>(f.fn.steps.size()) - 1;
    int y = f.step(OpKind::Softmax, {x}, {-1, -1, 3});
    f.results({y});
    fn = f.fn;
    for (int i = 0; i < 20; ++i)
      table.push_back(0.1f * i - 1);
    for (int i = 0; i < 12; ++i)
      w.push_back(std::sin(float(i)));
    b = {0.5f, -0.5f, 0.25f};
    weights["embed"] = TensorView(DType::F32, {5, 4}, table.data());
    weights["proj.weight"] = TensorView(DType::F32, {3, 4}, w.data());
    weights["proj.bias"] = TensorView(DType::F32, {3}, b.data());
  }

  // The result computed directly from the op definitions.
  std::vector<float> expected(const std::vector<int32_t> &ids, int seq) const {
    std::vector<float> out;
    for (size_t t = 0; t < ids.size(); ++t) {
      double p = 1 + double(t % seq);
      float x[4];
      for (int i = 0; i < 4; ++i)
        x[i] = table[ids[t] * 4 + i] * 2;
      x[0] += std::sin(p);
      x[1] += std::cos(p);
      x[2] += std::sin(p / 100);
      x[3] += std::cos(p / 100);
      double logits[3], maxv = -1e30, sum = 0;
      for (int o = 0; o < 3; ++o) {
        logits[o] = b[o];
        for (int i = 0; i < 4; ++i)
          logits[o] += double(w[o * 4 + i]) * x[i];
        maxv = std::max(maxv, logits[o]);
      }
      for (double l : logits)
        sum += std::exp(l - maxv);
      for (double l : logits)
        out.push_back(float(std::exp(l - maxv) / sum));
    }
    return out;
  }
};

std::vector<float> runPlan(PlanExecutor &e, std::vector<int32_t> &ids, Dims shape) {
  std::vector<Binding> results;
  Status s = e.run({Binding::ofTensor(TensorView(DType::I32, shape, ids.data()))},
                   results);
  EXPECT_TRUE(s.ok()) << s.message();
  if (!s.ok())
    return {};
  const TensorView &out = results[0].tensor;
  EXPECT_EQ(out.shape, (Dims{shape[0], shape[1], 3}));
  return std::vector<float>(out.f32(), out.f32() + out.numel());
}

void expectNear(const std::vector<float> &a, const std::vector<float> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-5) << i;
}

TEST(PlanExecutor, RunsAPlanWithTheRuntimesOwnOps) {
  SmallPlan p;
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(p.fn, p.weights, {}, {}, e).ok());
  std::vector<int32_t> ids = {0, 4, 2, 1, 3, 3};
  expectNear(runPlan(*e, ids, {2, 3}), p.expected(ids, 3));
  // Other batch and sequence sizes reuse the executor.
  std::vector<int32_t> more = {1, 2, 3, 4, 0, 1, 2, 3};
  expectNear(runPlan(*e, more, {1, 8}), p.expected(more, 8));
}

// Kernels in the argv convention, checking what they receive.
int linearCalls = 0;
int linearKernel(void **args) {
  ++linearCalls;
  auto *x = static_cast<halide_buffer_t *>(args[0]);
  auto *w = static_cast<halide_buffer_t *>(args[1]);
  auto *b = static_cast<halide_buffer_t *>(args[2]);
  auto *out = static_cast<halide_buffer_t *>(args[3]);
  // Halide order: innermost dim first.
  if (x->dimensions != 3 || x->dim[0].extent != 4 || x->dim[0].stride != 1 ||
      x->dim[1].stride != 4 || w->dimensions != 2 || w->dim[1].extent != 3 ||
      b->dimensions != 1 || out->dim[0].extent != 3 ||
      x->type.code != halide_type_float || x->type.bits != 32)
    return -1;
  int rows = x->dim[1].extent * x->dim[2].extent;
  const float *xs = reinterpret_cast<const float *>(x->host);
  const float *ws = reinterpret_cast<const float *>(w->host);
  const float *bs = reinterpret_cast<const float *>(b->host);
  float *ys = reinterpret_cast<float *>(out->host);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < 3; ++o) {
      float s = bs[o];
      for (int i = 0; i < 4; ++i)
        s += xs[r * 4 + i] * ws[o * 4 + i];
      ys[r * 3 + o] = s;
    }
  return 0;
}

int seenStart = -1, seenOffset = -1;
int positionsKernel(void **args) {
  auto *x = static_cast<halide_buffer_t *>(args[0]);
  seenStart = *static_cast<int32_t *>(args[1]);
  seenOffset = *static_cast<int32_t *>(args[2]);
  auto *out = static_cast<halide_buffer_t *>(args[3]);
  int seq = x->dim[1].extent, batch = x->dim[2].extent;
  const float *xs = reinterpret_cast<const float *>(x->host);
  float *ys = reinterpret_cast<float *>(out->host);
  for (int bt = 0; bt < batch; ++bt)
    for (int j = 0; j < seq; ++j) {
      double p = seenStart + seenOffset + j;
      const float pe[4] = {float(std::sin(p)), float(std::cos(p)),
                           float(std::sin(p / 100)), float(std::cos(p / 100))};
      for (int i = 0; i < 4; ++i)
        ys[(bt * seq + j) * 4 + i] = xs[(bt * seq + j) * 4 + i] + pe[i];
    }
  return 0;
}

int failingKernel(void **) { return 7; }

TEST(PlanExecutor, CallsKernelsWithTheArgvConvention) {
  SmallPlan p;
  p.fn.steps[p.linearStep].kernel = "linear_k";
  PlanStep &positions = p.fn.steps[p.positionsStep];
  positions.kernel = "positions_k";
  positions.params = {{"start", ScalarType::I32, 1},
                      {"offset", ScalarType::I32, -1}};
  KernelTable kernels = {{"linear_k", &linearKernel},
                         {"positions_k", &positionsKernel}};
  std::unique_ptr<PlanExecutor> e;
  Status s = PlanExecutor::create(p.fn, p.weights, kernels, {}, e);
  ASSERT_TRUE(s.ok()) << s.message();
  linearCalls = 0;
  std::vector<int32_t> ids = {0, 4, 2, 1, 3, 3};
  expectNear(runPlan(*e, ids, {3, 2}), p.expected(ids, 2));
  EXPECT_EQ(linearCalls, 1);
  EXPECT_EQ(seenStart, 1);
  EXPECT_EQ(seenOffset, 0);

  // With kernels off, the runtime's own ops give the same result.
  ExecutorOptions off;
  off.useKernels = false;
  ASSERT_TRUE(PlanExecutor::create(p.fn, p.weights, kernels, off, e).ok());
  expectNear(runPlan(*e, ids, {3, 2}), p.expected(ids, 2));
  EXPECT_EQ(linearCalls, 1);
}

TEST(PlanExecutor, ReportsKernelProblems) {
  SmallPlan p;
  p.fn.steps[p.linearStep].kernel = "linear_k";
  std::unique_ptr<PlanExecutor> e;
  Status s = PlanExecutor::create(p.fn, p.weights, {}, {}, e);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("step 6 (linear, proj): kernel 'linear_k' is not "
                             "in the kernel table"),
            std::string::npos)
      << s.message();

  ASSERT_TRUE(PlanExecutor::create(p.fn, p.weights, {{"linear_k", &failingKernel}},
                                   {}, e)
                  .ok());
  std::vector<int32_t> ids = {1};
  std::vector<Binding> results;
  s = e->run({Binding::ofTensor(TensorView(DType::I32, {1, 1}, ids.data()))}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("kernel 'linear_k' failed with code 7"), std::string::npos)
      << s.message();
}

TEST(PlanExecutor, ChecksWeights) {
  SmallPlan p;
  std::unique_ptr<PlanExecutor> e;
  WeightTable missing = p.weights;
  missing.erase("proj.bias");
  Status s = PlanExecutor::create(p.fn, missing, {}, {}, e);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("weight 'proj.bias' is not in the weight file"),
            std::string::npos)
      << s.message();
  WeightTable wrong = p.weights;
  wrong["proj.weight"].shape = {4, 3};
  s = PlanExecutor::create(p.fn, wrong, {}, {}, e);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is f32[4, 3], the plan expects f32[3, 4]"),
            std::string::npos)
      << s.message();
}

TEST(PlanExecutor, ChecksArgumentsAndShapes) {
  SmallPlan p;
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(p.fn, p.weights, {}, {}, e).ok());
  std::vector<float> notIds(4);
  std::vector<Binding> results;
  Status s = e->run({Binding::ofTensor(TensorView(DType::F32, {2, 2}, notIds.data()))},
                    results);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("argument 0 is f32[2, 2], expected i32[?, ?]"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(e->run({}, results).ok());

  // A plan whose declared static dim disagrees with the inferred shape.
  p.fn.values[p.fn.steps[p.linearStep].result].shape = {-1, -1, 5};
  ASSERT_TRUE(PlanExecutor::create(p.fn, p.weights, {}, {}, e).ok());
  std::vector<int32_t> ids = {1, 2};
  s = e->run({Binding::ofTensor(TensorView(DType::I32, {1, 2}, ids.data()))}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("result [1, 2, 3] does not match the plan's [?, ?, 5]"),
            std::string::npos)
      << s.message();
}

TEST(PlanExecutor, ArenaSharesMemoryAcrossLifetimes) {
  // A chain of 10 scales: only two values are live at any time.
  FunctionBuilder f("chain");
  int x = f.arg(DType::F32, {-1});
  for (int i = 0; i < 10; ++i)
    x = f.step(OpKind::Scale, {x}, {-1}, {{"factor", 2.0}});
  f.results({x});
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(f.fn, {}, {}, {}, e).ok());
  std::vector<float> in(1024, 1.0f);
  std::vector<Binding> results;
  ASSERT_TRUE(e->run({Binding::ofTensor(TensorView(DType::F32, {1024}, in.data()))},
                     results)
                  .ok());
  EXPECT_EQ(e->arenaBytes(), 2 * 4096);
  for (int i = 0; i < 1024; ++i)
    ASSERT_EQ(results[0].tensor.f32()[i], 1024.0f);
  void *first = results[0].tensor.data;
  in.assign(1024, 0.5f);
  ASSERT_TRUE(e->run({Binding::ofTensor(TensorView(DType::F32, {1024}, in.data()))},
                     results)
                  .ok());
  EXPECT_EQ(results[0].tensor.data, first); // the arena is reused
  EXPECT_EQ(results[0].tensor.f32()[5], 512.0f);
}

TEST(PlanExecutor, SlicesViewTheirOperandWhileTheyAreRead) {
  // s = 2x is sliced, then three values are computed before the slice is
  // read: s's bytes must stay reserved until then, not be reused.
  FunctionBuilder f("slices");
  auto slice = [&](int from, int64_t offset) {
    return f.step(OpKind::Slice, {from}, {-1, 3},
                  {{"offset", offset}, {"size", int64_t(3)}});
  };
  int x = f.arg(DType::F32, {-1, 6});
  int s = f.step(OpKind::Scale, {x}, {-1, 6}, {{"factor", 2.0}});
  int v = slice(s, 2);
  int c = slice(x, 0);
  for (double factor : {10.0, 1.0, 1.0})
    c = f.step(OpKind::Scale, {c}, {-1, 3}, {{"factor", factor}});
  int r = f.step(OpKind::Add, {v, c}, {-1, 3});
  f.results({r, v});
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(f.fn, {}, {}, {}, e).ok());
  const int rows = 64;
  std::vector<float> in(rows * 6);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float(i);
  std::vector<Binding> results;
  Status st = e->run(
      {Binding::ofTensor(TensorView(DType::F32, {rows, 6}, in.data()))},
      results);
  ASSERT_TRUE(st.ok()) << st.message();
  const TensorView &sum = results[0].tensor, &view = results[1].tensor;
  EXPECT_EQ(view.shape, (Dims{rows, 3}));
  EXPECT_EQ(view.strides, (Dims{6, 1})); // a view of s, not a copy
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < 3; ++j) {
      ASSERT_EQ(view.f32()[i * 6 + j], 2 * in[i * 6 + 2 + j]) << i << "," << j;
      ASSERT_EQ(sum.f32()[i * 3 + j], 2 * in[i * 6 + 2 + j] + 10 * in[i * 6 + j])
          << i << "," << j;
    }
}

TEST(PlanExecutor, SplitHeadsViewsASliceOfItsOperand) {
  // [b, s, 2 * 4] sliced to its second half, then split into 2 heads: a
  // view of x itself; merge_heads (a copy) gives the slice back.
  FunctionBuilder f("heads");
  int x = f.arg(DType::F32, {-1, -1, 16});
  int half = f.step(OpKind::Slice, {x}, {-1, -1, 8},
                    {{"offset", int64_t(8)}, {"size", int64_t(8)}});
  int heads = f.step(OpKind::SplitHeads, {half}, {-1, 2, -1, 4},
                     {{"heads", int64_t(2)}});
  int merged = f.step(OpKind::MergeHeads, {heads}, {-1, -1, 8});
  f.results({heads, merged});
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(f.fn, {}, {}, {}, e).ok());
  std::vector<float> in(3 * 5 * 16);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float(i);
  std::vector<Binding> results;
  Status st = e->run(
      {Binding::ofTensor(TensorView(DType::F32, {3, 5, 16}, in.data()))},
      results);
  ASSERT_TRUE(st.ok()) << st.message();
  const TensorView &view = results[0].tensor, &back = results[1].tensor;
  EXPECT_EQ(view.shape, (Dims{3, 2, 5, 4}));
  EXPECT_EQ(view.strides, (Dims{80, 4, 16, 1}));
  EXPECT_EQ(view.f32(), in.data() + 8); // no copy
  for (int b = 0; b < 3; ++b)
    for (int p = 0; p < 5; ++p)
      for (int c = 0; c < 8; ++c)
        ASSERT_EQ(back.f32()[(b * 5 + p) * 8 + c], in[(b * 5 + p) * 16 + 8 + c])
            << b << "," << p << "," << c;
  // Only merge_heads's result takes arena bytes (rounded up to alignment);
  // a copied split_heads would take as many again.
  const int64_t oneTensor = 3 * 5 * 8 * sizeof(float);
  EXPECT_GE(e->arenaBytes(), oneTensor);
  EXPECT_LT(e->arenaBytes(), 2 * oneTensor);
}

TEST(PlanExecutor, AttentionWritesStraightIntoItsMergedHeads) {
  // The same attention returned as is, and read only by merge_heads: the
  // second writes the merged tensor directly, and agrees with the first.
  auto plan = [](bool merged) {
    FunctionBuilder f("attention");
    Dims heads{-1, 2, -1, 4};
    int q = f.arg(DType::F32, heads), k = f.arg(DType::F32, heads),
        v = f.arg(DType::F32, heads);
    int a = f.step(OpKind::Attention, {q, k, v, -1, -1, -1}, heads,
                   {{"scale", 0.5}});
    f.results({merged ? f.step(OpKind::MergeHeads, {a}, {-1, -1, 8}) : a});
    return f.fn;
  };
  PlanFunction mergedPlan = plan(true), headsPlan = plan(false);
  std::unique_ptr<PlanExecutor> merged, alone;
  ASSERT_TRUE(PlanExecutor::create(mergedPlan, {}, {}, {}, merged).ok());
  ASSERT_TRUE(PlanExecutor::create(headsPlan, {}, {}, {}, alone).ok());
  const int64_t b = 3, s = 5;
  std::vector<float> in(b * 2 * s * 4);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float((i * 7) % 11) / 11.0f;
  TensorView t(DType::F32, {b, 2, s, 4}, in.data());
  std::vector<Binding> args{Binding::ofTensor(t), Binding::ofTensor(t),
                            Binding::ofTensor(t)};
  std::vector<Binding> m, a;
  ASSERT_TRUE(merged->run(args, m).ok());
  ASSERT_TRUE(alone->run(args, a).ok());
  ASSERT_EQ(m[0].tensor.shape, (Dims{b, s, 8}));
  for (int64_t i = 0; i < b; ++i)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t p = 0; p < s; ++p)
        for (int64_t d = 0; d < 4; ++d)
          ASSERT_EQ(m[0].tensor.f32()[(i * s + p) * 8 + h * 4 + d],
                    a[0].tensor.f32()[((i * 2 + h) * s + p) * 4 + d])
              << i << "," << h << "," << p << "," << d;
  // One tensor in the arena, not an attention output and its merged copy.
  const int64_t oneTensor = b * s * 8 * sizeof(float);
  EXPECT_LT(merged->arenaBytes(), 2 * oneTensor);
}

// Kernels checking the strides a slice reaches them with.
int denseAddCalls = 0;
int denseAddKernel(void **args) {
  ++denseAddCalls;
  for (int i = 0; i < 3; ++i) {
    auto *t = static_cast<halide_buffer_t *>(args[i]);
    if (t->dimensions != 2 || t->dim[0].stride != 1 ||
        t->dim[1].stride != t->dim[0].extent)
      return -1;
  }
  auto *x = static_cast<halide_buffer_t *>(args[0]);
  auto *y = static_cast<halide_buffer_t *>(args[1]);
  auto *out = static_cast<halide_buffer_t *>(args[2]);
  int n = out->dim[0].extent * out->dim[1].extent;
  for (int i = 0; i < n; ++i)
    reinterpret_cast<float *>(out->host)[i] =
        reinterpret_cast<float *>(x->host)[i] +
        reinterpret_cast<float *>(y->host)[i];
  return 0;
}

int stridedSoftmaxCalls = 0;
int stridedSoftmaxKernel(void **args) {
  ++stridedSoftmaxCalls;
  auto *x = static_cast<halide_buffer_t *>(args[0]);
  auto *out = static_cast<halide_buffer_t *>(args[1]);
  // The view itself: rows 6 floats apart.
  if (x->dimensions != 4 || x->dim[0].extent != 3 || x->dim[1].stride != 6)
    return -1;
  for (int r = 0; r < x->dim[1].extent; ++r) {
    const float *row = reinterpret_cast<float *>(x->host) + r * 6;
    float *o = reinterpret_cast<float *>(out->host) + r * 3;
    float sum = 0;
    for (int j = 0; j < 3; ++j)
      sum += o[j] = std::exp(row[j]);
    for (int j = 0; j < 3; ++j)
      o[j] /= sum;
  }
  return 0;
}

TEST(PlanExecutor, KernelsReadingDenseTensorsGetDenseSlices) {
  FunctionBuilder f("slices");
  int x = f.arg(DType::F32, {-1, 6});
  int v = f.step(OpKind::Slice, {x}, {-1, 3},
                 {{"offset", int64_t(3)}, {"size", int64_t(3)}});
  int a = f.step(OpKind::Add, {v, v}, {-1, 3});
  f.last().kernel = "add_k";
  f.last().kernelRanks = {2, 2, 2};
  int m = f.step(OpKind::Softmax, {v}, {-1, 3});
  f.last().kernel = "softmax_k";
  f.last().kernelRanks = {4, 4};
  f.results({a, m});
  KernelTable kernels = {{"add_k", &denseAddKernel},
                         {"softmax_k", &stridedSoftmaxKernel}};
  std::unique_ptr<PlanExecutor> e;
  ASSERT_TRUE(PlanExecutor::create(f.fn, {}, kernels, {}, e).ok());
  std::vector<float> in = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::vector<Binding> results;
  denseAddCalls = stridedSoftmaxCalls = 0;
  Status s = e->run(
      {Binding::ofTensor(TensorView(DType::F32, {2, 6}, in.data()))}, results);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(denseAddCalls, 1);
  EXPECT_EQ(stridedSoftmaxCalls, 1);
  const float *sum = results[0].tensor.f32();
  EXPECT_EQ(std::vector<float>(sum, sum + 6),
            (std::vector<float>{6, 8, 10, 18, 20, 22}));
  float e1 = std::exp(1.0f), e2 = std::exp(2.0f), total = 1 + e1 + e2;
  for (int r = 0; r < 2; ++r)
    EXPECT_NEAR(results[1].tensor.f32()[r * 3 + 2], e2 / total, 1e-6) << r;
}

} // namespace
