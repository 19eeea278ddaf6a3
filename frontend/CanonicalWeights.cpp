#include "frontend/CanonicalWeights.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"

#include <fmt/format.h>

using namespace txc;

namespace {

constexpr const char *kSharedEmbedding = "model.shared.weight";

class WeightList {
public:
  explicit WeightList(std::vector<RequiredWeight> &out) : out(out) {}

  void add(const std::string &name, std::vector<int64_t> shape,
           const std::string &neededBy) {
    out.push_back({name, std::move(shape), neededBy});
  }
  void addNorm(const std::string &prefix, int64_t width,
               const std::string &neededBy) {
    add(prefix + ".weight", {width}, neededBy);
    add(prefix + ".bias", {width}, neededBy);
  }
  void addLinear(const std::string &prefix, int64_t outputs, int64_t inputs,
                 const std::string &neededBy) {
    add(prefix + ".weight", {outputs, inputs}, neededBy);
    add(prefix + ".bias", {outputs}, neededBy);
  }
  void addAttention(const std::string &prefix, int64_t d,
                    const std::string &neededBy) {
    for (const char *projection : {"q_proj", "k_proj", "v_proj", "out_proj"})
      addLinear(prefix + "." + projection, d, d, neededBy);
  }

private:
  std::vector<RequiredWeight> &out;
};

void addStack(const ModelSpec &spec, llvm::StringRef stack, WeightList &list) {
  bool decoder = stack == "decoder";
  std::string s = stack.str();
  int64_t d = spec.dModel;
  int64_t vocab = decoder ? spec.targetVocab : spec.sourceVocab;
  int64_t layers = decoder ? spec.decoderLayers : spec.encoderLayers;

  list.add(s + ".embed_tokens.weight", {vocab, d}, "the " + s + " embedding");
  if (spec.positions == PositionKind::Learned)
    list.add(s + ".embed_positions.weight",
             {spec.maxPositions + spec.positionOffset, d},
             "the " + s + " learned positions");
  if (spec.embeddingNorm)
    list.addNorm(s + ".layernorm_embedding", d,
                 "the " + s + " embedding norm");
  for (int64_t i = 0; i < layers; ++i) {
    std::string prefix = fmt::format("{}.layers.{}", s, i);
    std::string neededBy = fmt::format("{} layer {}", s, i);
    list.addAttention(prefix + ".self_attn", d, neededBy);
    list.addNorm(prefix + ".self_attn_layer_norm", d, neededBy);
    if (decoder) {
      list.addAttention(prefix + ".encoder_attn", d, neededBy);
      list.addNorm(prefix + ".encoder_attn_layer_norm", d, neededBy);
    }
    list.addLinear(prefix + ".fc1", spec.ffnDim, d, neededBy);
    list.addLinear(prefix + ".fc2", d, spec.ffnDim, neededBy);
    list.addNorm(prefix + ".final_layer_norm", d, neededBy);
  }
  if (spec.finalNorm)
    list.addNorm(s + ".layer_norm", d, "the " + s + " final norm");
}

WeightLocation whole(std::string fileName, const RequiredWeight &weight) {
  return WeightLocation{std::move(fileName), weight.shape, 0, 1};
}

WeightLocation hfLocation(const RequiredWeight &weight,
                          bool sharedEmbedding) {
  llvm::StringRef name = weight.name;
  if (name == kOutputProjection)
    return whole(weight.name, weight);
  // The file keeps HF's [1, vocab] row; the IR adds it as a [vocab] bias.
  if (name == "final_logits_bias")
    return WeightLocation{weight.name, {1, weight.shape[0]}, 0, 1};
  if (sharedEmbedding && name.endswith(".embed_tokens.weight"))
    return whole(kSharedEmbedding, weight);
  return whole("model." + weight.name, weight);
}

// nn.Transformer's name for a layer module other than attention.
llvm::StringRef torchLayerModule(llvm::StringRef stack,
                                 llvm::StringRef module) {
  bool decoder = stack == "decoder";
  return llvm::StringSwitch<llvm::StringRef>(module)
      .Case("fc1", "linear1")
      .Case("fc2", "linear2")
      .Case("self_attn_layer_norm", "norm1")
      .Case("encoder_attn_layer_norm", "norm2")
      .Case("final_layer_norm", decoder ? "norm3" : "norm2")
      .Default("");
}

// A weight inside `stack.layers.{i}.`: `member` is what follows, such as
// "self_attn.q_proj.weight" or "fc1.bias".
WeightLocation torchLayerLocation(const RequiredWeight &weight,
                                  llvm::StringRef layerPrefix,
                                  llvm::StringRef stack,
                                  llvm::StringRef member) {
  auto [module, param] = member.rsplit('.');
  auto [attention, projection] = module.split('.');
  if (!projection.empty()) {
    std::string torchAttention =
        (layerPrefix + (attention == "self_attn" ? "self_attn"
                                                 : "multihead_attn"))
            .str();
    if (projection == "out_proj")
      return whole(torchAttention + ".out_proj." + param.str(), weight);
    int64_t part = llvm::StringSwitch<int64_t>(projection)
                       .Case("q_proj", 0)
                       .Case("k_proj", 1)
                       .Default(2);
    std::vector<int64_t> stacked = weight.shape;
    stacked[0] *= 3;
    return WeightLocation{torchAttention + ".in_proj_" + param.str(), stacked,
                          part, 3};
  }
  return whole((layerPrefix + torchLayerModule(stack, module) + "." + param)
                   .str(),
               weight);
}

} // namespace

std::vector<RequiredWeight> txc::requiredWeights(const ModelSpec &spec) {
  std::vector<RequiredWeight> weights;
  WeightList list(weights);
  addStack(spec, "encoder", list);
  addStack(spec, "decoder", list);
  list.add(kOutputProjection, {spec.targetVocab, spec.dModel},
           "the output projection");
  if (spec.outputBias)
    list.add("final_logits_bias", {spec.targetVocab}, "the output bias");
  return weights;
}

WeightLocation txc::locateWeight(const ModelSpec &spec,
                                 const RequiredWeight &weight,
                                 bool sharedEmbedding) {
  if (spec.weightNames == WeightNames::Hf)
    return hfLocation(weight, sharedEmbedding);
  // Torch names cover the two stacks' layers and final norms; everything
  // outside nn.Transformer keeps its hf name.
  llvm::StringRef name = weight.name;
  for (llvm::StringRef stack : {"encoder", "decoder"}) {
    std::string finalNorm = (stack + ".layer_norm.").str();
    if (name.startswith(finalNorm))
      return whole((stack + ".norm.").str() +
                       name.drop_front(finalNorm.size()).str(),
                   weight);
    std::string layers = (stack + ".layers.").str();
    if (!name.startswith(layers))
      continue;
    auto [index, member] = name.drop_front(layers.size()).split('.');
    std::string layerPrefix = layers + index.str() + ".";
    return torchLayerLocation(weight, layerPrefix, stack, member);
  }
  return hfLocation(weight, sharedEmbedding);
}
