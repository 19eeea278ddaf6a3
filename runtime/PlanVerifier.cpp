#include "runtime/PlanVerifier.h"

#include "runtime/PanelLayout.h"

#include <cctype>

namespace txc::runtime {

std::string describeStep(const PlanFunction &function, size_t index) {
  const PlanStep &step = function.steps[index];
  std::string s = function.name + " step " + std::to_string(index) + " (" +
                  opKindName(step.kind);
  if (!step.location.empty())
    s += ", " + step.location;
  return s + ")";
}

namespace {

enum class AttrKind { Int, Float, String, Bool };

struct KindAttr {
  OpKind kind;
  const char *name;
  AttrKind type;
};

constexpr KindAttr kRequiredAttrs[] = {
    {OpKind::Constant, "value", AttrKind::Int},
    {OpKind::Weight, "name", AttrKind::String},
    {OpKind::Embedding, "scale", AttrKind::Float},
    {OpKind::SinusoidPositions, "layout", AttrKind::String},
    {OpKind::SinusoidPositions, "offset", AttrKind::Int},
    {OpKind::LearnedPositions, "offset", AttrKind::Int},
    {OpKind::SplitHeads, "heads", AttrKind::Int},
    {OpKind::Scale, "factor", AttrKind::Float},
    {OpKind::LayerNorm, "eps", AttrKind::Float},
    {OpKind::AddLayerNorm, "eps", AttrKind::Float},
    {OpKind::LinearActivation, "activation", AttrKind::String},
    {OpKind::Attention, "scale", AttrKind::Float},
    {OpKind::Slice, "offset", AttrKind::Int},
    {OpKind::Slice, "size", AttrKind::Int},
};

// Attributes a kind may leave out, with a default; when present they must
// have this type.
constexpr KindAttr kOptionalAttrs[] = {
    {OpKind::Matmul, "transpose_a", AttrKind::Bool},
    {OpKind::Matmul, "transpose_b", AttrKind::Bool},
    {OpKind::Linear, "out_features", AttrKind::Int},
    {OpKind::LinearActivation, "out_features", AttrKind::Int},
    {OpKind::LinearArgmax, "out_features", AttrKind::Int},
    {OpKind::Linear, "tile_rows", AttrKind::Int},
    {OpKind::LinearActivation, "tile_rows", AttrKind::Int},
    {OpKind::Linear, "panels_per_task", AttrKind::Int},
    {OpKind::LinearActivation, "panels_per_task", AttrKind::Int},
    {OpKind::Attention, "block_keys", AttrKind::Int},
    {OpKind::Attention, "decode", AttrKind::Bool},
    {OpKind::Embedding, "vocab", AttrKind::Int},
};

bool hasType(const AttrValue &v, AttrKind type) {
  switch (type) {
  case AttrKind::Int:
    return std::holds_alternative<int64_t>(v);
  case AttrKind::Float:
    return std::holds_alternative<double>(v) ||
           std::holds_alternative<int64_t>(v);
  case AttrKind::String:
    return std::holds_alternative<std::string>(v);
  case AttrKind::Bool:
    return std::holds_alternative<bool>(v);
  }
  return false;
}

const char *attrKindName(AttrKind type) {
  switch (type) {
  case AttrKind::Int:
    return "an integer";
  case AttrKind::Float:
    return "a number";
  case AttrKind::String:
    return "a string";
  case AttrKind::Bool:
    return "a boolean";
  }
  return "?";
}

bool isActivation(const std::string &s) {
  return s == "relu" || s == "gelu" || s == "gelu_tanh" || s == "swish";
}

Status checkAttrs(const PlanStep &step, const std::string &where) {
  auto check = [&](const KindAttr &a, bool required) {
    if (a.kind != step.kind)
      return Status::success();
    auto it = step.attrs.find(a.name);
    if (it == step.attrs.end() ? required : !hasType(it->second, a.type))
      return Status::failure(where + ": attribute '" + a.name + "' must be " +
                             attrKindName(a.type));
    return Status::success();
  };
  for (const KindAttr &a : kRequiredAttrs)
    if (Status s = check(a, true); !s.ok())
      return s;
  for (const KindAttr &a : kOptionalAttrs)
    if (Status s = check(a, false); !s.ok())
      return s;
  if (step.kind == OpKind::SinusoidPositions) {
    std::string layout = step.attrString("layout");
    if (layout != "interleaved" && layout != "halves")
      return Status::failure(where + ": unknown sinusoid layout '" + layout +
                             "'");
  }
  if (step.kind == OpKind::LinearActivation &&
      !isActivation(step.attrString("activation")))
    return Status::failure(where + ": unknown activation '" +
                           step.attrString("activation") + "'");
  if (step.kind == OpKind::SplitHeads && step.attrInt("heads") < 1)
    return Status::failure(where + ": heads must be positive");
  if (step.kind == OpKind::Slice &&
      (step.attrInt("offset") < 0 || step.attrInt("size") < 1))
    return Status::failure(where + ": a slice needs offset >= 0 and size >= 1");
  return Status::success();
}

// An embedding naming its `vocab` reads a table packed in GEMM panels
// (PanelLayout.h), which must hold exactly that many rows: the lookup
// trusts ids below `vocab` to lie inside it.
Status checkEmbeddingTable(const PlanFunction &f, const PlanStep &step,
                           const std::string &where) {
  if (step.kind != OpKind::Embedding || !step.attrs.count("vocab"))
    return Status::success();
  const Dims &table = f.values[step.operands[0]].shape;
  int64_t vocab = step.attrInt("vocab");
  if (!panelsHoldRows(table, vocab))
    return Status::failure(where + ": embedding panels " + formatDims(table) +
                           " do not hold vocab " + std::to_string(vocab));
  return Status::success();
}

bool matchesClass(char c, const ValueType &type) {
  switch (std::toupper(c)) {
  case 'F':
    return type.dtype == DType::F32 && !type.shape.empty();
  case 'I':
    return type.dtype == DType::I32 && !type.shape.empty();
  case 'X':
    return type.dtype == DType::Index && type.shape.empty();
  }
  return false;
}

const char *className(char c) {
  switch (std::toupper(c)) {
  case 'F':
    return "an f32 tensor";
  case 'I':
    return "an i32 tensor";
  default:
    return "an index";
  }
}

Status checkParams(const PlanStep &step, const std::string &where) {
  const char *signature = operandSignature(step.kind);
  for (const KernelParam &p : step.params) {
    if (p.operand >= 0) {
      if (p.operand >= static_cast<int>(step.operands.size()) ||
          std::toupper(signature[p.operand]) != 'X' ||
          step.operands[p.operand] < 0)
        return Status::failure(where + ": kernel param '" + p.name +
                               "' names operand " + std::to_string(p.operand) +
                               ", which is not an index operand");
      continue;
    }
    auto it = step.attrs.find(p.name);
    if (it == step.attrs.end() || std::holds_alternative<std::string>(it->second))
      return Status::failure(where + ": kernel param '" + p.name +
                             "' has no numeric attribute of that name");
  }
  return Status::success();
}

} // namespace

Status verifyPlanFunction(const PlanFunction &f, const std::string &source) {
  const std::string prefix = source + ": " + f.name;
  const int count = static_cast<int>(f.values.size());
  for (int id = 0; id < count; ++id) {
    const ValueType &t = f.values[id];
    bool rankOk = (t.dtype == DType::Index) == t.shape.empty();
    for (int64_t d : t.shape)
      rankOk = rankOk && d >= -1;
    if (!rankOk)
      return Status::failure(prefix + " value " + std::to_string(id) +
                             ": invalid shape " + formatDims(t.shape) +
                             " for " + dtypeName(t.dtype));
  }
  std::vector<bool> defined(count, false);
  auto define = [&](int id, const std::string &where) {
    if (id < 0 || id >= count)
      return Status::failure(where + ": value " + std::to_string(id) +
                             " does not exist");
    if (defined[id])
      return Status::failure(where + ": value " + std::to_string(id) +
                             " is defined twice");
    defined[id] = true;
    return Status::success();
  };
  for (int arg : f.arguments)
    if (Status s = define(arg, prefix + " arguments"); !s.ok())
      return s;

  for (size_t i = 0; i < f.steps.size(); ++i) {
    const PlanStep &step = f.steps[i];
    const std::string where = source + ": " + describeStep(f, i);
    std::string_view signature = operandSignature(step.kind);
    if (step.operands.size() != signature.size())
      return Status::failure(where + ": takes " +
                             std::to_string(signature.size()) +
                             " operands, has " +
                             std::to_string(step.operands.size()));
    for (size_t o = 0; o < signature.size(); ++o) {
      int id = step.operands[o];
      bool optional = std::islower(static_cast<unsigned char>(signature[o]));
      std::string operand = where + ": operand " + std::to_string(o);
      if (id == -1 && optional)
        continue;
      if (id < 0 || id >= count || !defined[id])
        return Status::failure(operand + " is value " + std::to_string(id) +
                               ", which is not defined before it");
      if (!matchesClass(signature[o], f.values[id]))
        return Status::failure(operand + " must be " +
                               className(signature[o]) + ", value " +
                               std::to_string(id) + " is " +
                               dtypeName(f.values[id].dtype) +
                               formatDims(f.values[id].shape));
    }
    if (Status s = define(step.result, where); !s.ok())
      return s;
    const ValueType &result = f.values[step.result];
    bool weightI32 = step.kind == OpKind::Weight && result.dtype == DType::I32;
    if ((result.dtype != resultType(step.kind) && !weightI32) ||
        (step.kind == OpKind::Constant) != result.shape.empty())
      return Status::failure(where + ": result value " +
                             std::to_string(step.result) + " has type " +
                             dtypeName(result.dtype) +
                             formatDims(result.shape));
    if (step.kind == OpKind::Weight)
      for (int64_t d : result.shape)
        if (d < 0)
          return Status::failure(where + ": a weight's shape must be static");
    if (Status s = checkAttrs(step, where); !s.ok())
      return s;
    if (Status s = checkParams(step, where); !s.ok())
      return s;
    if (Status s = checkEmbeddingTable(f, step, where); !s.ok())
      return s;
  }
  for (int id : f.results)
    if (id < 0 || id >= count || !defined[id])
      return Status::failure(prefix + " returns value " + std::to_string(id) +
                             ", which is not defined");
  return Status::success();
}

namespace {

// Checks `f`'s arguments or results against `expected` (element type and
// rank; ranks < 0 are index scalars).
Status checkSignature(const PlanFunction &f, const std::vector<int> &ids,
                      const std::vector<std::pair<DType, int>> &expected,
                      const std::string &what, const std::string &source) {
  if (ids.size() != expected.size())
    return Status::failure(source + ": " + f.name + " has " +
                           std::to_string(ids.size()) + " " + what +
                           ", the model needs " +
                           std::to_string(expected.size()));
  for (size_t i = 0; i < ids.size(); ++i) {
    const ValueType &t = f.values[ids[i]];
    auto [dtype, rank] = expected[i];
    if (t.dtype != dtype ||
        static_cast<int>(t.shape.size()) != std::max(rank, 0))
      return Status::failure(source + ": " + f.name + " " + what + " " +
                             std::to_string(i) + " has type " +
                             dtypeName(t.dtype) + formatDims(t.shape));
  }
  return Status::success();
}

Status verifyModel(const ModelInfo &m, const std::string &source) {
  const std::string prefix = source + ": model ";
  std::pair<const char *, int64_t> sizes[] = {
      {"d_model", m.dModel},         {"heads", m.heads},
      {"head_dim", m.headDim},       {"source_vocab", m.sourceVocab},
      {"target_vocab", m.targetVocab}, {"max_positions", m.maxPositions}};
  for (auto [name, v] : sizes)
    if (v < 1)
      return Status::failure(prefix + name + " must be positive");
  if (m.decoderLayers < 0 || m.encoderLayers < 0)
    return Status::failure(prefix + "layer counts must not be negative");
  if (m.heads * m.headDim != m.dModel)
    return Status::failure(prefix + "heads x head_dim must equal d_model");
  std::pair<const char *, int64_t> tokens[] = {
      {"pad", m.pad}, {"eos", m.eos}, {"decoder_start", m.decoderStart}};
  for (auto [name, v] : tokens)
    if (v < 0 || v >= m.targetVocab)
      return Status::failure(prefix + name + " id " + std::to_string(v) +
                             " is outside the target vocabulary");
  return Status::success();
}

} // namespace

Status verifyPlan(const Plan &plan, const std::string &source) {
  if (Status s = verifyModel(plan.model, source); !s.ok())
    return s;
  for (const PlanFunction *f : plan.functions())
    if (Status s = verifyPlanFunction(*f, source); !s.ok())
      return s;

  const int layers = static_cast<int>(plan.model.decoderLayers);
  std::vector<std::pair<DType, int>> caches(2 * layers, {DType::F32, 4});
  std::vector<std::pair<DType, int>> encodeResults{{DType::F32, 3}};
  encodeResults.insert(encodeResults.end(), caches.begin(), caches.end());
  // tokens, step, source lengths, origin, sentence (ModuleConventions.h).
  std::vector<std::pair<DType, int>> decodeArgs{{DType::I32, 2},
                                                {DType::Index, -1},
                                                {DType::I32, 1},
                                                {DType::I32, 1},
                                                {DType::I32, 1}};
  decodeArgs.insert(decodeArgs.end(), caches.begin(), caches.end());
  decodeArgs.insert(decodeArgs.end(), caches.begin(), caches.end());
  std::vector<std::pair<DType, int>> decodeResults{{DType::F32, 3}};
  decodeResults.insert(decodeResults.end(), caches.begin(), caches.end());

  const PlanFunction &e = plan.encode, &d = plan.decodeStep;
  Status checks[] = {
      checkSignature(e, e.arguments, {{DType::I32, 2}, {DType::I32, 1}},
                     "arguments", source),
      checkSignature(e, e.results, encodeResults, "results", source),
      checkSignature(d, d.arguments, decodeArgs, "arguments", source),
      checkSignature(d, d.results, decodeResults, "results", source)};
  for (Status &s : checks)
    if (!s.ok())
      return s;

  // The fused forms take @decode_step's arguments, then (k and) the masked
  // token, and return ids [rows, 1] / top-k records [rows, 1, k, 2].
  auto checkFused = [&](const std::optional<PlanFunction> &f, size_t extra,
                        std::pair<DType, int> output) {
    if (!f)
      return Status::success();
    auto args = decodeArgs;
    args.insert(args.end(), extra, std::pair<DType, int>{DType::Index, -1});
    auto results = decodeResults;
    results.front() = output;
    Status s = checkSignature(*f, f->arguments, args, "arguments", source);
    return s.ok() ? checkSignature(*f, f->results, results, "results", source)
                  : s;
  };
  if (Status s = checkFused(plan.decodeArgmax, 1, {DType::I32, 2}); !s.ok())
    return s;
  return checkFused(plan.decodeTopK, 2, {DType::F32, 4});
}

} // namespace txc::runtime
