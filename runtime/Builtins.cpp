#include "runtime/Builtins.h"

#include "runtime/BuiltinOps.h"

namespace txc::runtime {

bool builtinReadsStrided(OpKind kind) {
  return kind == OpKind::Matmul || kind == OpKind::Attention ||
         kind == OpKind::SplitHeads || kind == OpKind::Slice ||
         kind == OpKind::KvCacheRead || kind == OpKind::KvCacheAppend;
}

Status runBuiltin(const PlanStep &step, const std::vector<Operand> &ops,
                  const TensorView &out) {
  using namespace builtins;
  switch (step.kind) {
  case OpKind::Constant:
  case OpKind::Weight:
    return Status::failure("constants and weights are not computed");
  case OpKind::Embedding:
    return embedding(step, ops, out);
  case OpKind::SinusoidPositions:
    return sinusoidPositions(step, ops, out);
  case OpKind::LearnedPositions:
    return learnedPositions(step, ops, out);
  case OpKind::Linear:
  case OpKind::LinearActivation:
    return linear(step, ops, out);
  case OpKind::Matmul:
    return matmul(step, ops, out);
  case OpKind::SplitHeads:
    return splitHeads(ops, out);
  case OpKind::MergeHeads:
    return mergeHeads(ops, out);
  case OpKind::Scale:
  case OpKind::Add:
  case OpKind::Relu:
  case OpKind::Gelu:
  case OpKind::GeluTanh:
  case OpKind::Swish:
    return elementwise(step, ops, out);
  case OpKind::PaddingMask:
    return paddingMask(ops, out);
  case OpKind::CausalMask:
    return causalMask(ops, out);
  case OpKind::Softmax:
    return softmax(ops, out);
  case OpKind::LayerNorm:
  case OpKind::AddLayerNorm:
    return layerNorm(step, ops, out);
  case OpKind::KvCacheRead:
    return kvCacheRead(ops, out);
  case OpKind::KvCacheAppend:
    return kvCacheAppend(ops, out);
  case OpKind::Attention:
    return attention(step, ops, out);
  case OpKind::Slice:
    return slice(step, ops, out);
  case OpKind::Argmax:
    return argmax(ops, out);
  case OpKind::LinearArgmax:
    return linearArgmax(step, ops, out);
  case OpKind::PackRows:
    return packRows(ops, out);
  case OpKind::UnpackRows:
    return unpackRows(ops, out);
  case OpKind::LogSoftmaxTopK:
    return logSoftmaxTopK(ops, out);
  }
  return Status::failure("unknown op kind");
}

} // namespace txc::runtime
