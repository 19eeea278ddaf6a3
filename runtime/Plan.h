// The plan: what a compiled model executes. For @encode and @decode_step
// (ir/ModuleConventions.h) it lists every value's type and the ops in
// order, each naming the Halide kernel that runs it or "" for the runtime's
// own implementation; with the model's constants and file names. It is
// stored as JSON (plan.json), readable by a person.
#pragma once

#include "runtime/OpKind.h"
#include "runtime/Status.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace txc::runtime {

// The type of one value: element type and shape, -1 for a dynamic dim
// (batch, sequence). Index values have rank 0.
struct ValueType {
  DType dtype = DType::F32;
  Dims shape;
};

using AttrValue = std::variant<bool, int64_t, double, std::string>;

enum class ScalarType : uint8_t { I32, I64, F32, F64 };

// A scalar a kernel takes after its tensor operands (a Halide Param): the
// value of index operand `operand` when it is >= 0, else attribute `name`.
struct KernelParam {
  std::string name;
  ScalarType type = ScalarType::I32;
  int operand = -1;
};

struct PlanStep {
  OpKind kind = OpKind::Constant;
  std::vector<int> operands; // value ids; -1 for an absent optional operand
  int result = -1;
  std::map<std::string, AttrValue> attrs;
  std::string kernel; // the kernel's symbol, or "" for the runtime's own
  std::vector<KernelParam> params;
  // The rank each tensor argument of the kernel (operands, then the result)
  // is presented at: leading dims are merged (or unit dims added) to reach
  // it. Empty: every tensor keeps its own rank.
  std::vector<int> kernelRanks;
  std::string location; // the model part, e.g. "decoder.layers.3.self_attn"

  // Attribute accessors; a verified plan has the attributes its kinds need,
  // so these return `fallback` only for optional ones.
  int64_t attrInt(const std::string &name, int64_t fallback = 0) const;
  double attrFloat(const std::string &name, double fallback = 0) const;
  bool attrBool(const std::string &name, bool fallback = false) const;
  std::string attrString(const std::string &name) const;
};

struct PlanFunction {
  std::string name;              // "encode" or "decode_step"
  std::vector<ValueType> values; // indexed by value id
  std::vector<int> arguments;    // value ids of the arguments, in order
  std::vector<PlanStep> steps;
  std::vector<int> results; // value ids returned, in order
};

// The model's constants, and the files beside the plan (relative names;
// empty when the model has none).
struct ModelInfo {
  std::string name;
  int64_t dModel = 0, heads = 0, headDim = 0;
  int64_t encoderLayers = 0, decoderLayers = 0;
  int64_t sourceVocab = 0, targetVocab = 0, maxPositions = 0;
  int64_t pad = 0, unk = 1, eos = 0, decoderStart = 0;
  std::string weightsFile = "weights.safetensors";
  std::string sourceSpm, targetSpm, vocabJson;
};

struct Plan {
  ModelInfo model;
  PlanFunction encode, decodeStep;
  // @decode_step with the fused output ops (fuse-output), when compiled:
  // it ends in txc.argmax / txc.log_softmax_top_k instead of logits.
  std::optional<PlanFunction> decodeArgmax, decodeTopK;

  // Every function present: encode, decode_step, then the fused ones.
  std::vector<const PlanFunction *> functions() const;
  std::vector<PlanFunction *> functions();
};

inline constexpr int kPlanFormatVersion = 1;
// The plan's keys of the fused decoder functions (optional).
inline constexpr const char *kDecodeArgmaxKey = "decode_step_argmax";
inline constexpr const char *kDecodeTopKKey = "decode_step_top_k";

// Parses and verifies (PlanVerifier.h) a plan; `source` names it in
// messages (usually the file path).
Status parsePlan(std::string_view json, const std::string &source, Plan &plan);

// Reads and parses the plan file at `path`.
Status loadPlanFile(const std::string &path, Plan &plan);

// The JSON text of `plan`, which parsePlan reads back to an equal plan.
std::string serializePlan(const Plan &plan);

const char *scalarTypeName(ScalarType type);

} // namespace txc::runtime
