// The kinds of plan steps: the txc ops (ir/TxcOps.td) one for one, an index
// constant, and the fused kinds the passes produce. Each kind has a fixed
// operand signature; optional operands are present or -1 in a step.
#pragma once

#include "runtime/Tensor.h"

#include <optional>
#include <string_view>

namespace txc::runtime {

enum class OpKind : uint8_t {
  Constant, // an index scalar: attrs {value}
  Weight,   // attrs {name}
  Embedding,
  SinusoidPositions,
  LearnedPositions,
  Linear,
  Matmul,
  SplitHeads,
  MergeHeads,
  Scale,
  Add,
  Relu,
  Gelu,
  GeluTanh,
  Swish,
  PaddingMask,
  CausalMask,
  Softmax,
  LayerNorm,
  KvCacheRead,
  KvCacheAppend,
  Slice, // features [offset, offset + size) of the last axis: attrs {offset, size}
  // Fused kinds.
  LinearActivation, // linear, then attrs {activation}
  AddLayerNorm,     // layer_norm(x + residual, gamma, beta)
  Attention,        // softmax(mask(q k^T * scale)) v, heads not merged
  Argmax,           // the greedy token of each logits row (i32 result)
  LogSoftmaxTopK,   // the k best (log-prob, id) records of each logits row
  PackRows,         // the rows of real tokens of a padded batch, in order
  UnpackRows,       // packed rows back in a padded batch, zero padding
  LinearArgmax,     // argmax of a linear's rows, no logits (i32 result)
};

inline constexpr int kNumOpKinds = static_cast<int>(OpKind::LinearArgmax) + 1;

// The plan's spelling of `kind`, as in the txc dialect ("kv_cache_read").
const char *opKindName(OpKind kind);
std::optional<OpKind> parseOpKind(std::string_view name);

// What each operand position accepts: 'F' an f32 tensor, 'I' an i32 tensor,
// 'X' an index scalar; lowercase marks an optional operand.
const char *operandSignature(OpKind kind);

// The result's element type (Index for Constant, I32 for Argmax and
// LinearArgmax, F32 otherwise; a Weight's may be F32 or I32).
DType resultType(OpKind kind);

// Kinds the runtime always executes itself, whatever kernel a step names:
// they produce no data (Constant, Weight), view their operand's data
// (Slice, SplitHeads) or update the KV cache in place.
bool isRuntimeOnly(OpKind kind);

} // namespace txc::runtime
