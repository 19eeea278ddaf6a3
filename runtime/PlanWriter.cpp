#include "runtime/Plan.h"

#include <nlohmann/json.hpp>

// Keys keep the order they are written in, so steps read kind first.
using json = nlohmann::ordered_json;

namespace txc::runtime {
namespace {

json attrsToJson(const std::map<std::string, AttrValue> &attrs) {
  json j = json::object();
  for (const auto &[key, value] : attrs)
    std::visit([&, &key = key](const auto &v) { j[key] = v; }, value);
  return j;
}

json stepToJson(const PlanStep &s) {
  json step = {{"kind", opKindName(s.kind)}, {"result", s.result}};
  if (!s.operands.empty())
    step["operands"] = s.operands;
  if (!s.attrs.empty())
    step["attrs"] = attrsToJson(s.attrs);
  if (!s.kernel.empty())
    step["kernel"] = s.kernel;
  if (!s.params.empty()) {
    json params = json::array();
    for (const KernelParam &p : s.params) {
      json param = {{"name", p.name}, {"type", scalarTypeName(p.type)}};
      if (p.operand >= 0)
        param["operand"] = p.operand;
      params.push_back(std::move(param));
    }
    step["params"] = std::move(params);
  }
  if (!s.kernelRanks.empty())
    step["kernel_ranks"] = s.kernelRanks;
  if (!s.location.empty())
    step["location"] = s.location;
  return step;
}

// One line per value and per step, so a plan reads like an IR listing.
template <typename T, typename Fn>
void writeLines(std::string &out, const char *key, const std::vector<T> &items,
                Fn toJson) {
  out += std::string("    \"") + key + "\": [";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ",\n      " : "\n      ") + toJson(items[i]).dump();
  out += items.empty() ? "],\n" : "\n    ],\n";
}

std::string functionToText(const PlanFunction &f) {
  std::string out = "{\n";
  writeLines(out, "values", f.values, [](const ValueType &t) {
    return json{{"dtype", dtypeName(t.dtype)}, {"shape", t.shape}};
  });
  out += "    \"arguments\": " + json(f.arguments).dump() + ",\n";
  writeLines(out, "steps", f.steps, stepToJson);
  out += "    \"results\": " + json(f.results).dump() + "\n  }";
  return out;
}

} // namespace

std::string serializePlan(const Plan &plan) {
  const ModelInfo &m = plan.model;
  json model = {{"name", m.name},
                {"d_model", m.dModel},
                {"heads", m.heads},
                {"head_dim", m.headDim},
                {"encoder_layers", m.encoderLayers},
                {"decoder_layers", m.decoderLayers},
                {"source_vocab", m.sourceVocab},
                {"target_vocab", m.targetVocab},
                {"max_positions", m.maxPositions},
                {"pad", m.pad},
                {"unk", m.unk},
                {"eos", m.eos},
                {"decoder_start", m.decoderStart},
                {"weights", m.weightsFile}};
  if (!m.sourceSpm.empty())
    model["source_spm"] = m.sourceSpm;
  if (!m.targetSpm.empty())
    model["target_spm"] = m.targetSpm;
  if (!m.vocabJson.empty())
    model["vocab"] = m.vocabJson;
  json header = {{"format", "txc-plan"},
                                   {"version", kPlanFormatVersion},
                                   {"model", model}};
  std::string text = header.dump(2);
  // Drop the closing "\n}": the functions follow.
  text.resize(text.size() - 2);
  text += ",\n  \"encode\": " + functionToText(plan.encode) +
          ",\n  \"decode_step\": " + functionToText(plan.decodeStep);
  for (auto &[key, fn] : {std::pair{kDecodeArgmaxKey, &plan.decodeArgmax},
                          std::pair{kDecodeTopKKey, &plan.decodeTopK}})
    if (*fn)
      text += ",\n  \"" + std::string(key) + "\": " + functionToText(**fn);
  text += "\n}\n";
  return text;
}

} // namespace txc::runtime
