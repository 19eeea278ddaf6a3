#include "frontend/BlockBuilder.h"

#include "ir/TxcDialect.h"

#include <cmath>

using namespace mlir;
using namespace txc;

static constexpr int64_t kDyn = ShapedType::kDynamicSize;

void BlockBuilder::setPart(const std::string &part) {
  currentLoc = NameLoc::get(b.getStringAttr(part));
}

Type BlockBuilder::f32Tensor(ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}

Type BlockBuilder::headsType() {
  return f32Tensor({kDyn, spec.heads, kDyn, spec.headDim()});
}

// Rank of `x` with its last dim replaced by `last`.
static SmallVector<int64_t> withLastDim(Value x, int64_t last) {
  auto shape = x.getType().cast<RankedTensorType>().getShape();
  SmallVector<int64_t> out(shape.begin(), shape.end());
  out.back() = last;
  return out;
}

Value BlockBuilder::weight(const std::string &name, ArrayRef<int64_t> shape) {
  return b.create<WeightOp>(currentLoc, f32Tensor(shape), b.getStringAttr(name));
}

Value BlockBuilder::linear(Value x, const std::string &prefix, int64_t out,
                           int64_t in, bool withBias) {
  Value w = weight(prefix + ".weight", {out, in});
  Value bias = withBias ? weight(prefix + ".bias", {out}) : Value();
  return b.create<LinearOp>(currentLoc, f32Tensor(withLastDim(x, out)), x, w,
                            bias);
}

Value BlockBuilder::layerNorm(Value x, const std::string &prefix) {
  Value gamma = weight(prefix + ".weight", {spec.dModel});
  Value beta = weight(prefix + ".bias", {spec.dModel});
  return b.create<LayerNormOp>(currentLoc, x.getType(), x, gamma, beta,
                               b.getF64FloatAttr(spec.layerNormEps));
}

Value BlockBuilder::add(Value lhs, Value rhs) {
  return b.create<AddOp>(currentLoc, lhs.getType(), lhs, rhs);
}

Value BlockBuilder::embed(Value ids, Value start, const std::string &stack,
                          int64_t vocab) {
  setPart(stack + ".embed_tokens");
  double scale = spec.scaleEmbedding ? std::sqrt(double(spec.dModel)) : 1.0;
  Value table = weight(stack + ".embed_tokens.weight", {vocab, spec.dModel});
  Type type = f32Tensor({kDyn, kDyn, spec.dModel});
  Value x = b.create<EmbeddingOp>(currentLoc, type, table, ids,
                                  b.getF64FloatAttr(scale));
  setPart(stack + ".embed_positions");
  IntegerAttr offset = b.getI64IntegerAttr(spec.positionOffset);
  if (spec.positions == PositionKind::Learned) {
    Value positions = weight(stack + ".embed_positions.weight",
                             {spec.maxPositions + spec.positionOffset,
                              spec.dModel});
    x = b.create<LearnedPositionsOp>(currentLoc, type, x, positions, start,
                                     offset);
  } else {
    StringRef layout = spec.sinusoidLayout == SinusoidLayout::Halves
                           ? "halves"
                           : "interleaved";
    x = b.create<SinusoidPositionsOp>(currentLoc, type, x, start,
                                      b.getStringAttr(layout), offset);
  }
  if (spec.embeddingNorm) {
    setPart(stack + ".layernorm_embedding");
    x = layerNorm(x, stack + ".layernorm_embedding");
  }
  return x;
}

Value BlockBuilder::projectHeads(Value x, const std::string &projPrefix) {
  Value projected = linear(x, projPrefix, spec.dModel, spec.dModel);
  return b.create<SplitHeadsOp>(currentLoc, headsType(), projected,
                                b.getI64IntegerAttr(spec.heads));
}

Value BlockBuilder::attend(Value q, Value k, Value v,
                           const std::string &prefix, Value srcLengths,
                           Value causalOffset) {
  Type scoresType = f32Tensor({kDyn, spec.heads, kDyn, kDyn});
  Value scores = b.create<MatmulOp>(currentLoc, scoresType, q, k,
                                    b.getBoolAttr(false), b.getBoolAttr(true));
  double scale = 1.0 / std::sqrt(double(spec.headDim()));
  scores = b.create<ScaleOp>(currentLoc, scoresType, scores,
                             b.getF64FloatAttr(scale));
  if (srcLengths)
    scores = b.create<PaddingMaskOp>(currentLoc, scoresType, scores,
                                     srcLengths);
  if (causalOffset)
    scores = b.create<CausalMaskOp>(currentLoc, scoresType, scores,
                                    causalOffset);
  Value probs = b.create<SoftmaxOp>(currentLoc, scoresType, scores);
  Value context = b.create<MatmulOp>(currentLoc, headsType(), probs, v,
                                     b.getBoolAttr(false), b.getBoolAttr(false));
  Value merged = b.create<MergeHeadsOp>(
      currentLoc, f32Tensor({kDyn, kDyn, spec.dModel}), context);
  return linear(merged, prefix + ".out_proj", spec.dModel, spec.dModel);
}

Value BlockBuilder::feedForward(Value x, const std::string &prefix) {
  Value h = linear(x, prefix + ".fc1", spec.ffnDim, spec.dModel);
  Type type = h.getType();
  switch (spec.activation) {
  case Activation::Relu:
    h = b.create<ReluOp>(currentLoc, type, h);
    break;
  case Activation::Gelu:
    h = b.create<GeluOp>(currentLoc, type, h);
    break;
  case Activation::GeluTanh:
    h = b.create<GeluTanhOp>(currentLoc, type, h);
    break;
  case Activation::Swish:
    h = b.create<SwishOp>(currentLoc, type, h);
    break;
  }
  return linear(h, prefix + ".fc2", spec.dModel, spec.ffnDim);
}
