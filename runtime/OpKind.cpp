#include "runtime/OpKind.h"

namespace txc::runtime {
namespace {

struct KindInfo {
  OpKind kind;
  const char *name;
  const char *operands;
};

constexpr KindInfo kKinds[] = {
    {OpKind::Constant, "constant", ""},
    {OpKind::Weight, "weight", ""},
    {OpKind::Embedding, "embedding", "FI"},
    {OpKind::SinusoidPositions, "sinusoid_positions", "FX"},
    {OpKind::LearnedPositions, "learned_positions", "FFX"},
    {OpKind::Linear, "linear", "FFf"},
    {OpKind::Matmul, "matmul", "FF"},
    {OpKind::SplitHeads, "split_heads", "F"},
    {OpKind::MergeHeads, "merge_heads", "F"},
    {OpKind::Scale, "scale", "F"},
    {OpKind::Add, "add", "FF"},
    {OpKind::Relu, "relu", "F"},
    {OpKind::Gelu, "gelu", "F"},
    {OpKind::GeluTanh, "gelu_tanh", "F"},
    {OpKind::Swish, "swish", "F"},
    {OpKind::PaddingMask, "padding_mask", "FI"},
    {OpKind::CausalMask, "causal_mask", "FX"},
    {OpKind::Softmax, "softmax", "F"},
    {OpKind::LayerNorm, "layer_norm", "FFF"},
    {OpKind::KvCacheRead, "kv_cache_read", "FI"},
    {OpKind::KvCacheAppend, "kv_cache_append", "FF"},
    {OpKind::Slice, "slice", "F"},
    {OpKind::LinearActivation, "linear_activation", "FFf"},
    {OpKind::AddLayerNorm, "add_layer_norm", "FFFF"},
    {OpKind::Attention, "attention", "FFFixi"},
    {OpKind::Argmax, "argmax", "FX"},
    {OpKind::LogSoftmaxTopK, "log_softmax_top_k", "FXX"},
    {OpKind::PackRows, "pack_rows", "FI"},
    {OpKind::UnpackRows, "unpack_rows", "FII"},
    // x, packed weight, masked token, bias; then the int8 screen and its
    // row stats (runtime/VocabScreen.h), which kernel selection adds.
    {OpKind::LinearArgmax, "linear_argmax", "FFXfif"},
};

static_assert(sizeof(kKinds) / sizeof(kKinds[0]) == kNumOpKinds,
              "every OpKind needs an entry");

const KindInfo &info(OpKind kind) { return kKinds[static_cast<int>(kind)]; }

} // namespace

const char *opKindName(OpKind kind) { return info(kind).name; }

std::optional<OpKind> parseOpKind(std::string_view name) {
  for (const KindInfo &k : kKinds)
    if (name == k.name)
      return k.kind;
  return std::nullopt;
}

const char *operandSignature(OpKind kind) { return info(kind).operands; }

DType resultType(OpKind kind) {
  if (kind == OpKind::Constant)
    return DType::Index;
  return kind == OpKind::Argmax || kind == OpKind::LinearArgmax ? DType::I32
                                                                : DType::F32;
}

bool isRuntimeOnly(OpKind kind) {
  return kind == OpKind::Constant || kind == OpKind::Weight ||
         kind == OpKind::Slice || kind == OpKind::SplitHeads ||
         kind == OpKind::KvCacheRead ||
         kind == OpKind::KvCacheAppend;
}

} // namespace txc::runtime
