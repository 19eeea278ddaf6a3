#include "TinyModel.h"

#include "PlanBuilder.h"

#include "runtime/WeightFile.h"
#include "runtime/WeightFileWriter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace txc::runtime::testing {
namespace {

constexpr int64_t kDyn = -1;

class TinyBuilder {
public:
  TinyBuilder(const TinyModelConfig &c, TinyModel &m, FunctionBuilder &f,
              std::mt19937 &rng)
      : c(c), m(m), f(f), rng(rng) {}

  int weight(const std::string &name, Dims shape, float center, float spread) {
    if (!m.tensors.count(name)) {
      std::uniform_real_distribution<float> dist(center - spread,
                                                 center + spread);
      std::vector<float> data(numElements(shape));
      for (float &v : data)
        v = dist(rng);
      m.tensors[name] = {shape, std::move(data)};
    }
    return f.weight(name, shape);
  }

  int linear(int x, const std::string &prefix, int64_t out, int64_t in,
             bool bias = true) {
    float spread = 1.0f / std::sqrt(float(in));
    int w = weight(prefix + ".weight", {out, in}, 0, spread);
    int b = bias ? weight(prefix + ".bias", {out}, 0, 0.1f) : -1;
    Dims shape = f.fn.values[x].shape;
    shape.back() = out;
    return f.step(OpKind::Linear, {x, w, b}, shape, {}, prefix);
  }

  int layerNorm(int x, const std::string &prefix) {
    int g = weight(prefix + ".weight", {c.dModel}, 1, 0.1f);
    int b = weight(prefix + ".bias", {c.dModel}, 0, 0.1f);
    return f.step(OpKind::LayerNorm, {x, g, b}, f.fn.values[x].shape,
                  {{"eps", 1e-5}}, prefix);
  }

  int embed(int ids, int start, const std::string &stack, int64_t vocab) {
    int table = weight(stack + ".embed_tokens.weight", {vocab, c.dModel}, 0, 1);
    int x = f.step(OpKind::Embedding, {table, ids}, {kDyn, kDyn, c.dModel},
                   {{"scale", std::sqrt(double(c.dModel))}},
                   stack + ".embed_tokens");
    return f.step(OpKind::SinusoidPositions, {x, start},
                  {kDyn, kDyn, c.dModel},
                  {{"layout", std::string("halves")}, {"offset", int64_t(0)}},
                  stack + ".embed_positions");
  }

  int projectHeads(int x, const std::string &prefix) {
    int p = linear(x, prefix, c.dModel, c.dModel);
    return f.step(OpKind::SplitHeads, {p}, headsShape(),
                  {{"heads", c.heads}}, prefix);
  }

  int attend(int q, int k, int v, const std::string &prefix, int lengths,
             int causalOffset) {
    Dims scoresShape{kDyn, c.heads, kDyn, kDyn};
    int s = f.step(OpKind::Matmul, {q, k}, scoresShape,
                   {{"transpose_a", false}, {"transpose_b", true}}, prefix);
    s = f.step(OpKind::Scale, {s}, scoresShape,
               {{"factor", 1.0 / std::sqrt(double(c.dModel / c.heads))}},
               prefix);
    if (lengths >= 0)
      s = f.step(OpKind::PaddingMask, {s, lengths}, scoresShape, {}, prefix);
    if (causalOffset >= 0)
      s = f.step(OpKind::CausalMask, {s, causalOffset}, scoresShape, {},
                 prefix);
    s = f.step(OpKind::Softmax, {s}, scoresShape, {}, prefix);
    int ctx = f.step(OpKind::Matmul, {s, v}, headsShape(), {}, prefix);
    int merged = f.step(OpKind::MergeHeads, {ctx}, {kDyn, kDyn, c.dModel}, {},
                        prefix);
    return linear(merged, prefix + ".out_proj", c.dModel, c.dModel);
  }

  int feedForward(int x, const std::string &prefix) {
    int h = linear(x, prefix + ".fc1", c.ffnDim, c.dModel);
    OpKind act = c.activation == "gelu"   ? OpKind::Gelu
                 : c.activation == "swish" ? OpKind::Swish
                                           : OpKind::Relu;
    h = f.step(act, {h}, f.fn.values[h].shape, {}, prefix);
    return linear(h, prefix + ".fc2", c.dModel, c.ffnDim);
  }

  // Post-norm: LN(x + sublayer(x)).
  template <typename Fn>
  int residual(int x, const std::string &norm, Fn sublayer) {
    int h = sublayer(x);
    int sum = f.step(OpKind::Add, {x, h}, f.fn.values[x].shape, {}, norm);
    return layerNorm(sum, norm);
  }

  Dims headsShape() const {
    return {kDyn, c.heads, kDyn, c.dModel / c.heads};
  }

private:
  const TinyModelConfig &c;
  TinyModel &m;
  FunctionBuilder &f;
  std::mt19937 &rng;
};

std::string layer(const char *stack, int64_t i) {
  return std::string(stack) + ".layers." + std::to_string(i);
}

PlanFunction buildEncode(const TinyModelConfig &c, TinyModel &m,
                         std::mt19937 &rng) {
  FunctionBuilder f("encode");
  TinyBuilder b(c, m, f, rng);
  int ids = f.arg(DType::I32, {kDyn, kDyn});
  int lengths = f.arg(DType::I32, {kDyn});
  int x = b.embed(ids, f.constant(0), "encoder", c.sourceVocab);
  for (int64_t i = 0; i < c.encoderLayers; ++i) {
    std::string p = layer("encoder", i);
    x = b.residual(x, p + ".self_attn_layer_norm", [&](int h) {
      int q = b.projectHeads(h, p + ".self_attn.q_proj");
      int k = b.projectHeads(h, p + ".self_attn.k_proj");
      int v = b.projectHeads(h, p + ".self_attn.v_proj");
      return b.attend(q, k, v, p + ".self_attn", lengths, -1);
    });
    x = b.residual(x, p + ".final_layer_norm",
                   [&](int h) { return b.feedForward(h, p); });
  }
  std::vector<int> outs{x};
  for (int64_t l = 0; l < c.decoderLayers; ++l) {
    std::string p = layer("decoder", l) + ".encoder_attn";
    outs.push_back(b.projectHeads(x, p + ".k_proj"));
    outs.push_back(b.projectHeads(x, p + ".v_proj"));
  }
  f.results(outs);
  return f.fn;
}

PlanFunction buildDecodeStep(const TinyModelConfig &c, TinyModel &m,
                             std::mt19937 &rng) {
  FunctionBuilder f("decode_step");
  TinyBuilder b(c, m, f, rng);
  int tokens = f.arg(DType::I32, {kDyn, kDyn});
  int step = f.arg(DType::Index, {});
  int srcLengths = f.arg(DType::I32, {kDyn});
  int origin = f.arg(DType::I32, {kDyn});
  int sentence = f.arg(DType::I32, {kDyn});
  std::vector<int> self, cross;
  for (int64_t i = 0; i < 2 * c.decoderLayers; ++i)
    self.push_back(f.arg(DType::F32, b.headsShape()));
  for (int64_t i = 0; i < 2 * c.decoderLayers; ++i)
    cross.push_back(f.arg(DType::F32, b.headsShape()));

  int x = b.embed(tokens, step, "decoder", c.targetVocab);
  std::vector<int> newCaches;
  for (int64_t i = 0; i < c.decoderLayers; ++i) {
    std::string p = layer("decoder", i);
    x = b.residual(x, p + ".self_attn_layer_norm", [&](int h) {
      int q = b.projectHeads(h, p + ".self_attn.q_proj");
      int fresh[2] = {b.projectHeads(h, p + ".self_attn.k_proj"),
                      b.projectHeads(h, p + ".self_attn.v_proj")};
      int keys[2];
      for (int kv = 0; kv < 2; ++kv) {
        int past = f.step(OpKind::KvCacheRead, {self[2 * i + kv], origin},
                          b.headsShape(), {}, p + ".self_attn");
        keys[kv] = f.step(OpKind::KvCacheAppend, {past, fresh[kv]},
                          b.headsShape(), {}, p + ".self_attn");
        newCaches.push_back(keys[kv]);
      }
      return b.attend(q, keys[0], keys[1], p + ".self_attn", -1, step);
    });
    x = b.residual(x, p + ".encoder_attn_layer_norm", [&](int h) {
      int q = b.projectHeads(h, p + ".encoder_attn.q_proj");
      int kv[2];
      for (int c = 0; c < 2; ++c)
        kv[c] = f.step(OpKind::KvCacheRead, {cross[2 * i + c], sentence},
                       b.headsShape(), {}, p + ".encoder_attn");
      return b.attend(q, kv[0], kv[1], p + ".encoder_attn", srcLengths, -1);
    });
    x = b.residual(x, p + ".final_layer_norm",
                   [&](int h) { return b.feedForward(h, p); });
  }
  int w = b.weight("decoder.embed_tokens.weight", {c.targetVocab, c.dModel}, 0,
                   1);
  int logits = f.step(OpKind::Linear, {x, w, -1}, {kDyn, kDyn, c.targetVocab},
                      {}, "lm_head");
  std::vector<int> outs{logits};
  outs.insert(outs.end(), newCaches.begin(), newCaches.end());
  f.results(outs);
  return f.fn;
}

} // namespace

WeightTable TinyModel::weights() {
  WeightTable table;
  for (auto &[name, tensor] : tensors)
    table[name] = TensorView(DType::F32, tensor.first, tensor.second.data());
  return table;
}

void TinyModel::writeTo(const std::string &dir) {
  std::vector<NamedTensor> list;
  for (auto &[name, tensor] : tensors)
    list.push_back({name, tensor.first, tensor.second.data()});
  Status s = writeWeightFile(dir + "/" + plan.model.weightsFile, list,
                             {{kModelMetadataKey, plan.model.name}});
  ASSERT_TRUE(s.ok()) << s.message();
  std::ofstream(dir + "/plan.json") << serializePlan(plan);
}

TinyModel buildTinyModel(const TinyModelConfig &c) {
  TinyModel m;
  std::mt19937 rng(c.seed);
  ModelInfo &info = m.plan.model;
  info.name = "tiny";
  info.dModel = c.dModel;
  info.heads = c.heads;
  info.headDim = c.dModel / c.heads;
  info.encoderLayers = c.encoderLayers;
  info.decoderLayers = c.decoderLayers;
  info.sourceVocab = c.sourceVocab;
  info.targetVocab = c.targetVocab;
  info.maxPositions = c.maxPositions;
  info.pad = c.pad;
  info.eos = c.eos;
  info.decoderStart = c.decoderStart;
  m.plan.encode = buildEncode(c, m, rng);
  m.plan.decodeStep = buildDecodeStep(c, m, rng);
  return m;
}

namespace {

// This process's directory under the temp dir, removed when the tests end.
struct TempRoot {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("txc-runtime-test-" + std::to_string(::getpid()));
  ~TempRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

} // namespace

std::string makeTempDir(const std::string &name) {
  namespace fs = std::filesystem;
  static TempRoot root;
  fs::path dir = root.path / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

} // namespace txc::runtime::testing
