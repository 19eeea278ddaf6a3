#include "frontend/GraphBuilder.h"

#include "frontend/BlockBuilder.h"
#include "ir/ModuleConventions.h"
#include "ir/TxcDialect.h"

#include "mlir/Dialect/Arithmetic/IR/Arithmetic.h"
#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace txc;
namespace conv = txc::conventions;

static constexpr int64_t kDyn = ShapedType::kDynamicSize;

namespace {

// Emits @encode and @decode_step into one module.
class ModelGraphEmitter {
public:
  ModelGraphEmitter(MLIRContext &context, const ModelSpec &spec)
      : builder(&context), blocks(builder, spec), spec(spec) {}

  OwningOpRef<ModuleOp> emit();

private:
  std::string layer(const char *stack, int64_t i) const {
    return std::string(stack) + ".layers." + std::to_string(i);
  }
  Type idsType() { return RankedTensorType::get({kDyn, kDyn}, builder.getI32Type()); }
  Type lengthsType() { return RankedTensorType::get({kDyn}, builder.getI32Type()); }

  void emitEncode(ModuleOp module);
  void emitDecodeStep(ModuleOp module);
  Value finalNorm(Value x, const char *stack);

  OpBuilder builder;
  BlockBuilder blocks;
  const ModelSpec &spec;
};

} // namespace

Value ModelGraphEmitter::finalNorm(Value x, const char *stack) {
  if (!spec.finalNorm)
    return x;
  std::string prefix = std::string(stack) + ".layer_norm";
  blocks.setPart(prefix);
  return blocks.layerNorm(x, prefix);
}

void ModelGraphEmitter::emitEncode(ModuleOp module) {
  SmallVector<Type> results{blocks.f32Tensor({kDyn, kDyn, spec.dModel})};
  for (int64_t l = 0; l < spec.decoderLayers; ++l)
    results.append(2, blocks.headsType());
  auto type = builder.getFunctionType({idsType(), lengthsType()}, results);
  blocks.setPart("encoder");
  builder.clearInsertionPoint();
  auto func = builder.create<FuncOp>(blocks.loc(), conv::kEncodeFunc, type);
  module.push_back(func);
  builder.setInsertionPointToStart(func.addEntryBlock());
  Value ids = func.getArgument(0), lengths = func.getArgument(1);

  Value zero = builder.create<arith::ConstantIndexOp>(blocks.loc(), 0);
  Value x = blocks.embed(ids, zero, "encoder", spec.sourceVocab);
  for (int64_t i = 0; i < spec.encoderLayers; ++i) {
    std::string p = layer("encoder", i);
    x = blocks.residual(x, p + ".self_attn", p + ".self_attn_layer_norm",
                        [&](Value h) {
                          Value q = blocks.projectHeads(h, p + ".self_attn.q_proj");
                          Value k = blocks.projectHeads(h, p + ".self_attn.k_proj");
                          Value v = blocks.projectHeads(h, p + ".self_attn.v_proj");
                          return blocks.attend(q, k, v, p + ".self_attn",
                                               lengths, Value());
                        });
    x = blocks.residual(x, p + ".ffn", p + ".final_layer_norm",
                        [&](Value h) { return blocks.feedForward(h, p); });
  }
  Value memory = finalNorm(x, "encoder");

  SmallVector<Value> outs{memory};
  for (int64_t l = 0; l < spec.decoderLayers; ++l) {
    std::string p = layer("decoder", l) + ".encoder_attn";
    blocks.setPart(p);
    outs.push_back(blocks.projectHeads(memory, p + ".k_proj"));
    outs.push_back(blocks.projectHeads(memory, p + ".v_proj"));
  }
  blocks.setPart("encoder");
  builder.create<ReturnOp>(blocks.loc(), outs);
}

void ModelGraphEmitter::emitDecodeStep(ModuleOp module) {
  Type heads = blocks.headsType();
  SmallVector<Type> args{idsType(), builder.getIndexType(), lengthsType(),
                         lengthsType(), lengthsType()};
  args.append(4 * spec.decoderLayers, heads); // self K/V, then cross K/V
  SmallVector<Type> results{
      blocks.f32Tensor({kDyn, kDyn, spec.targetVocab})};
  results.append(2 * spec.decoderLayers, heads);
  blocks.setPart("decoder");
  builder.clearInsertionPoint();
  auto func = builder.create<FuncOp>(blocks.loc(), conv::kDecodeStepFunc,
                                     builder.getFunctionType(args, results));
  module.push_back(func);
  builder.setInsertionPointToStart(func.addEntryBlock());
  Value tokens = func.getArgument(conv::kDecodeTokensArg);
  Value step = func.getArgument(conv::kDecodeStepArg);
  Value srcLengths = func.getArgument(conv::kDecodeSrcLengthsArg);
  Value origin = func.getArgument(conv::kDecodeOriginArg);
  Value sentence = func.getArgument(conv::kDecodeSentenceArg);
  auto selfCache = [&](int64_t l, int kv) {
    return func.getArgument(conv::kDecodeFirstCacheArg + 2 * l + kv);
  };
  auto crossCache = [&](int64_t l, int kv) {
    return func.getArgument(conv::kDecodeFirstCacheArg +
                            2 * spec.decoderLayers + 2 * l + kv);
  };

  Value x = blocks.embed(tokens, step, "decoder", spec.targetVocab);
  SmallVector<Value> newCaches;
  for (int64_t i = 0; i < spec.decoderLayers; ++i) {
    std::string p = layer("decoder", i);
    x = blocks.residual(
        x, p + ".self_attn", p + ".self_attn_layer_norm", [&](Value h) {
          Value q = blocks.projectHeads(h, p + ".self_attn.q_proj");
          Value k = blocks.projectHeads(h, p + ".self_attn.k_proj");
          Value v = blocks.projectHeads(h, p + ".self_attn.v_proj");
          Value keys[2];
          Value fresh[2] = {k, v};
          for (int kv = 0; kv < 2; ++kv) {
            Value past = builder.create<KvCacheReadOp>(blocks.loc(), heads,
                                                       selfCache(i, kv), origin);
            keys[kv] = builder.create<KvCacheAppendOp>(blocks.loc(), heads,
                                                       past, fresh[kv]);
            newCaches.push_back(keys[kv]);
          }
          return blocks.attend(q, keys[0], keys[1], p + ".self_attn", Value(),
                               step);
        });
    x = blocks.residual(
        x, p + ".encoder_attn", p + ".encoder_attn_layer_norm", [&](Value h) {
          Value q = blocks.projectHeads(h, p + ".encoder_attn.q_proj");
          // Each hypothesis reads its sentence's K/V, kept once per
          // sentence for all of them.
          Value kv[2];
          for (int c = 0; c < 2; ++c)
            kv[c] = builder.create<KvCacheReadOp>(blocks.loc(), heads,
                                                  crossCache(i, c), sentence);
          return blocks.attend(q, kv[0], kv[1], p + ".encoder_attn",
                               srcLengths, Value());
        });
    x = blocks.residual(x, p + ".ffn", p + ".final_layer_norm",
                        [&](Value h) { return blocks.feedForward(h, p); });
  }
  x = finalNorm(x, "decoder");

  blocks.setPart("lm_head");
  std::string projection =
      spec.tieOutput ? "decoder.embed_tokens.weight" : "lm_head.weight";
  Value w = blocks.weight(projection, {spec.targetVocab, spec.dModel});
  Value bias = spec.outputBias
                   ? blocks.weight("final_logits_bias", {spec.targetVocab})
                   : Value();
  Value logits = builder.create<LinearOp>(
      blocks.loc(), results.front(), x, w, bias);

  SmallVector<Value> outs{logits};
  outs.append(newCaches.begin(), newCaches.end());
  blocks.setPart("decoder");
  builder.create<ReturnOp>(blocks.loc(), outs);
}

OwningOpRef<ModuleOp> ModelGraphEmitter::emit() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(
      NameLoc::get(builder.getStringAttr(spec.name)));
  auto i64 = [&](int64_t v) { return builder.getI64IntegerAttr(v); };
  module->getOperation()->setAttr(conv::kModelNameAttr,
                                  builder.getStringAttr(spec.name));
  std::pair<const char *, int64_t> attrs[] = {
      {conv::kDModelAttr, spec.dModel},
      {conv::kHeadsAttr, spec.heads},
      {conv::kEncoderLayersAttr, spec.encoderLayers},
      {conv::kDecoderLayersAttr, spec.decoderLayers},
      {conv::kSourceVocabAttr, spec.sourceVocab},
      {conv::kTargetVocabAttr, spec.targetVocab},
      {conv::kMaxPositionsAttr, spec.maxPositions},
      {conv::kPadAttr, spec.padId},
      {conv::kUnkAttr, spec.unkId},
      {conv::kEosAttr, spec.eosId},
      {conv::kDecoderStartAttr, spec.decoderStartId}};
  for (auto &[name, value] : attrs)
    module->getOperation()->setAttr(name, i64(value));

  emitEncode(*module);
  emitDecodeStep(*module);
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> txc::buildModelModule(MLIRContext &context,
                                            const ModelSpec &spec) {
  return ModelGraphEmitter(context, spec).emit();
}
