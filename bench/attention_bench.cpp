//===- attention_bench.cpp - fused attention against its unfused parts ----===//
//
// Times txc's fused attention kernel (prefill and decode-step schedules)
// against the three kernels it replaces: Q K^T (batched matmul), the masked
// scaled softmax, and P V. Both sides JIT-compiled once, outside the timed
// loops.
//
//   attention_bench [--threads=N] [google benchmark flags]
//
//===----------------------------------------------------------------------===//

#include "BenchCommandLine.h"

#include "codegen/kernels/Attention.h"
#include "codegen/kernels/BatchMatmul.h"
#include "codegen/kernels/Softmax.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace txc::codegen;

constexpr int kHeadDim = 64;

struct Case {
  const char *name;
  int batch, heads, queries, keys;
  bool decode;
  bool cold = false; // inputs rotate through more memory than the caches
};

// Transformer-base: a batch of 32 sentences of 30 tokens (encoder), a beam
// of 4 over 8 sentences stepping through cross- and self-attention, and
// one batch of long sentences. The cold cases are a beam-4 step of 32
// sentences at its middle (16 cached keys) with K and V read from memory,
// as a decoder step reads them after its weights went through the cache.
const Case kCases[] = {
    {"encoder_32x30", 32, 8, 30, 30, false},
    {"prefill_8x256", 8, 8, 256, 256, false},
    {"decode_cross_32x41", 32, 8, 1, 41, true},
    {"decode_self_32x100", 32, 8, 1, 100, true},
    {"decode_cross_128x41/cold", 128, 8, 1, 41, true, true},
    {"decode_self_128x16/cold", 128, 8, 1, 16, true, true},
};

Halide::Buffer<float> randomBuffer(std::vector<int> extents, unsigned seed) {
  Halide::Buffer<float> buffer(extents);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  float *data = buffer.data();
  for (size_t i = 0; i < buffer.number_of_elements(); ++i)
    data[i] = uniform(rng);
  return buffer;
}

struct Inputs {
  Halide::Buffer<float> q, k, v;
  Halide::Buffer<int32_t> lengths;
  explicit Inputs(const Case &c)
      : q(randomBuffer({kHeadDim, c.queries, c.heads, c.batch}, 1)),
        k(randomBuffer({kHeadDim, c.keys, c.heads, c.batch}, 2)),
        v(randomBuffer({kHeadDim, c.keys, c.heads, c.batch}, 3)),
        lengths(c.batch) {
    // Rows of varied lengths, as a padded batch has.
    for (int b = 0; b < c.batch; ++b)
      lengths(b) = c.keys - (b * 7) % std::max(1, c.keys / 2);
  }
};

// Copies of the inputs that cycle through more memory than the last-level
// cache holds, so that a cold case reads K and V from memory each call, as
// a decoder step does after its layers' weights streamed through the cache.
std::vector<Inputs> inputCopies(const Case &c) {
  constexpr size_t kColdBytes = size_t(128) << 20;
  size_t bytes = size_t(2) * kHeadDim * c.keys * c.heads * c.batch * sizeof(float);
  size_t copies = c.cold ? (kColdBytes + bytes - 1) / bytes : 1;
  std::vector<Inputs> inputs;
  for (size_t i = 0; i < copies; ++i)
    inputs.emplace_back(c);
  return inputs;
}

const float kScale = float(1.0 / std::sqrt(double(kHeadDim)));

void benchFused(benchmark::State &state, Case c) {
  AttentionParams params;
  params.headDim = kHeadDim;
  params.scale = kScale;
  params.paddingMask = true;
  params.decodeStep = c.decode;
  Halide::Target target = Halide::get_jit_target_from_environment();
  AttentionPipeline kernel = buildAttention(params, target);
  kernel.pipeline.compile_jit(target);
  std::vector<Inputs> inputs = inputCopies(c);
  Halide::Buffer<float> out(kHeadDim, c.queries, c.heads, c.batch);
  size_t next = 0;
  auto run = [&] {
    Inputs &in = inputs[next++ % inputs.size()];
    kernel.query.set(in.q);
    kernel.key.set(in.k);
    kernel.value.set(in.v);
    kernel.lengths.set(in.lengths);
    kernel.pipeline.realize(out);
  };
  run();
  for (auto _ : state)
    run();
}

void benchUnfused(benchmark::State &state, Case c) {
  Halide::Target target = Halide::get_jit_target_from_environment();
  BatchMatmulParams scoreParams;
  scoreParams.k = kHeadDim;
  scoreParams.transposeB = true;
  BatchMatmulParams mixParams;
  mixParams.n = kHeadDim;
  SoftmaxParams softmaxParams;
  softmaxParams.scale = kScale;
  softmaxParams.paddingMask = true;
  BatchMatmulPipeline scores = buildBatchMatmul(scoreParams, target);
  SoftmaxPipeline softmax = buildSoftmax(softmaxParams, target);
  BatchMatmulPipeline mix = buildBatchMatmul(mixParams, target);
  for (Halide::Pipeline *p : {&scores.pipeline, &softmax.pipeline, &mix.pipeline})
    p->compile_jit(target);

  std::vector<Inputs> inputs = inputCopies(c);
  int rows = c.batch * c.heads;
  // The 4-D tensors seen with batch and heads flattened.
  auto flat = [&](Halide::Buffer<float> &b4, int inner, int middle) {
    return Halide::Buffer<float>(b4.data(), inner, middle, rows);
  };
  Halide::Buffer<float> logits(c.keys, c.queries, rows);
  Halide::Buffer<float> logits4(logits.data(), c.keys, c.queries, c.heads,
                                c.batch);
  Halide::Buffer<float> probs4(c.keys, c.queries, c.heads, c.batch);
  Halide::Buffer<float> probs(probs4.data(), c.keys, c.queries, rows);
  Halide::Buffer<float> out(kHeadDim, c.queries, rows);
  size_t next = 0;
  auto run = [&] {
    Inputs &in = inputs[next++ % inputs.size()];
    scores.lhs.set(flat(in.q, kHeadDim, c.queries));
    scores.rhs.set(flat(in.k, kHeadDim, c.keys));
    scores.pipeline.realize(logits);
    softmax.scores.set(logits4);
    softmax.lengths.set(in.lengths);
    softmax.pipeline.realize(probs4);
    mix.lhs.set(probs);
    mix.rhs.set(flat(in.v, kHeadDim, c.keys));
    mix.pipeline.realize(out);
  };
  run();
  for (auto _ : state)
    run();
}

} // namespace

int main(int argc, char **argv) {
  txc::bench::BenchCommandLine line(argc, argv, {{"threads", 2}});
  setenv("HL_NUM_THREADS", std::to_string(line.flags["threads"]).c_str(), 1);
  for (const Case &c : kCases)
    txc::bench::registerPair(c.name, "fused", benchFused, "unfused",
                             benchUnfused, c);
  if (!line.initializeBenchmark())
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
