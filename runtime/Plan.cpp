#include "runtime/Plan.h"

#include "runtime/PlanVerifier.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using nlohmann::json;

namespace txc::runtime {

int64_t PlanStep::attrInt(const std::string &name, int64_t fallback) const {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return fallback;
  if (auto *v = std::get_if<int64_t>(&it->second))
    return *v;
  if (auto *b = std::get_if<bool>(&it->second))
    return *b;
  return fallback;
}

double PlanStep::attrFloat(const std::string &name, double fallback) const {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return fallback;
  if (auto *v = std::get_if<double>(&it->second))
    return *v;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return static_cast<double>(*i);
  return fallback;
}

bool PlanStep::attrBool(const std::string &name, bool fallback) const {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return fallback;
  if (auto *b = std::get_if<bool>(&it->second))
    return *b;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return *i != 0;
  return fallback;
}

std::string PlanStep::attrString(const std::string &name) const {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return "";
  if (auto *s = std::get_if<std::string>(&it->second))
    return *s;
  return "";
}

const char *scalarTypeName(ScalarType type) {
  switch (type) {
  case ScalarType::I32:
    return "i32";
  case ScalarType::I64:
    return "i64";
  case ScalarType::F32:
    return "f32";
  case ScalarType::F64:
    return "f64";
  }
  return "?";
}

namespace {

// Reads JSON fields with type checks, recording the first error with the
// path of the offending field. Never throws: every get<> is guarded.
class FieldReader {
public:
  explicit FieldReader(std::string source) : source(std::move(source)) {}

  bool failed() const { return !error.empty(); }
  Status status() const {
    return failed() ? Status::failure(error) : Status::success();
  }
  void fail(const std::string &where, const std::string &what) {
    if (!failed())
      error = source + ": " + where + ": " + what;
  }

  const json *field(const json &object, const char *key,
                    const std::string &where, bool required) {
    if (!object.is_object()) {
      fail(where, "expected an object");
      return nullptr;
    }
    auto it = object.find(key);
    if (it == object.end()) {
      if (required)
        fail(where, std::string("missing \"") + key + "\"");
      return nullptr;
    }
    return &*it;
  }

  void readInt(const json &object, const char *key, const std::string &where,
               int64_t &out, bool required = true) {
    const json *v = field(object, key, where, required);
    if (!v)
      return;
    if (!v->is_number_integer())
      return fail(where + "." + key, "expected an integer");
    out = v->get<int64_t>();
  }

  void readString(const json &object, const char *key,
                  const std::string &where, std::string &out,
                  bool required = true) {
    const json *v = field(object, key, where, required);
    if (!v)
      return;
    if (!v->is_string())
      return fail(where + "." + key, "expected a string");
    out = v->get<std::string>();
  }

  void readIntList(const json &object, const char *key,
                   const std::string &where, std::vector<int> &out,
                   bool required = true) {
    const json *v = field(object, key, where, required);
    if (!v)
      return;
    std::vector<int64_t> wide;
    readInts(*v, where + "." + key, wide);
    out.assign(wide.begin(), wide.end());
  }

  void readInts(const json &v, const std::string &where,
                std::vector<int64_t> &out) {
    if (!v.is_array())
      return fail(where, "expected an array of integers");
    for (const json &e : v) {
      if (!e.is_number_integer())
        return fail(where, "expected an array of integers");
      out.push_back(e.get<int64_t>());
    }
  }

private:
  std::string source;
  std::string error;
};

std::optional<DType> parseDType(const std::string &s) {
  if (s == "f32")
    return DType::F32;
  if (s == "i32")
    return DType::I32;
  if (s == "index")
    return DType::Index;
  return std::nullopt;
}

std::optional<ScalarType> parseScalarType(const std::string &s) {
  for (ScalarType t : {ScalarType::I32, ScalarType::I64, ScalarType::F32,
                       ScalarType::F64})
    if (s == scalarTypeName(t))
      return t;
  return std::nullopt;
}

void parseModel(FieldReader &r, const json &j, ModelInfo &m) {
  const std::string w = "model";
  r.readString(j, "name", w, m.name);
  std::pair<const char *, int64_t *> ints[] = {
      {"d_model", &m.dModel},
      {"heads", &m.heads},
      {"head_dim", &m.headDim},
      {"encoder_layers", &m.encoderLayers},
      {"decoder_layers", &m.decoderLayers},
      {"source_vocab", &m.sourceVocab},
      {"target_vocab", &m.targetVocab},
      {"max_positions", &m.maxPositions},
      {"pad", &m.pad},
      {"eos", &m.eos},
      {"decoder_start", &m.decoderStart}};
  for (auto &[key, out] : ints)
    r.readInt(j, key, w, *out);
  r.readInt(j, "unk", w, m.unk, /*required=*/false);
  r.readString(j, "weights", w, m.weightsFile, false);
  r.readString(j, "source_spm", w, m.sourceSpm, false);
  r.readString(j, "target_spm", w, m.targetSpm, false);
  r.readString(j, "vocab", w, m.vocabJson, false);
}

void parseAttrs(FieldReader &r, const json &j, const std::string &where,
                std::map<std::string, AttrValue> &attrs) {
  if (!j.is_object())
    return r.fail(where, "expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const json &v = it.value();
    if (v.is_boolean())
      attrs[it.key()] = v.get<bool>();
    else if (v.is_number_integer())
      attrs[it.key()] = v.get<int64_t>();
    else if (v.is_number_float())
      attrs[it.key()] = v.get<double>();
    else if (v.is_string())
      attrs[it.key()] = v.get<std::string>();
    else
      return r.fail(where + "." + it.key(),
                    "expected a boolean, number or string");
  }
}

void parseParams(FieldReader &r, const json &j, const std::string &where,
                 std::vector<KernelParam> &params) {
  if (!j.is_array())
    return r.fail(where, "expected an array");
  for (size_t i = 0; i < j.size() && !r.failed(); ++i) {
    std::string w = where + "[" + std::to_string(i) + "]";
    KernelParam p;
    std::string type;
    int64_t operand = -1;
    r.readString(j[i], "name", w, p.name);
    r.readString(j[i], "type", w, type);
    r.readInt(j[i], "operand", w, operand, false);
    if (r.failed())
      return;
    auto t = parseScalarType(type);
    if (!t)
      return r.fail(w + ".type", "unknown scalar type '" + type + "'");
    p.type = *t;
    p.operand = static_cast<int>(operand);
    params.push_back(std::move(p));
  }
}

void parseStep(FieldReader &r, const json &j, const std::string &where,
               PlanStep &step) {
  std::string kind;
  r.readString(j, "kind", where, kind);
  if (r.failed())
    return;
  auto k = parseOpKind(kind);
  if (!k)
    return r.fail(where + ".kind", "unknown op kind '" + kind + "'");
  step.kind = *k;
  r.readIntList(j, "operands", where, step.operands, false);
  int64_t result = -1;
  r.readInt(j, "result", where, result);
  step.result = static_cast<int>(result);
  r.readString(j, "kernel", where, step.kernel, false);
  r.readString(j, "location", where, step.location, false);
  if (const json *a = r.field(j, "attrs", where, false))
    parseAttrs(r, *a, where + ".attrs", step.attrs);
  if (const json *p = r.field(j, "params", where, false))
    parseParams(r, *p, where + ".params", step.params);
  r.readIntList(j, "kernel_ranks", where, step.kernelRanks, false);
  // Trailing optional operands may be left out.
  size_t arity = std::string_view(operandSignature(step.kind)).size();
  if (step.operands.size() < arity)
    step.operands.resize(arity, -1);
}

void parseFunction(FieldReader &r, const json &j, const std::string &name,
                   PlanFunction &f) {
  f.name = name;
  const json *values = r.field(j, "values", name, true);
  if (values && !values->is_array())
    r.fail(name + ".values", "expected an array");
  for (size_t i = 0; values && values->is_array() && i < values->size() &&
                     !r.failed();
       ++i) {
    std::string w = name + ".values[" + std::to_string(i) + "]";
    std::string dtype;
    ValueType type;
    r.readString((*values)[i], "dtype", w, dtype);
    if (const json *shape = r.field((*values)[i], "shape", w, false))
      r.readInts(*shape, w + ".shape", type.shape);
    if (r.failed())
      break;
    auto d = parseDType(dtype);
    if (!d)
      return r.fail(w + ".dtype", "unknown element type '" + dtype + "'");
    type.dtype = *d;
    f.values.push_back(std::move(type));
  }
  r.readIntList(j, "arguments", name, f.arguments);
  r.readIntList(j, "results", name, f.results);
  const json *steps = r.field(j, "steps", name, true);
  if (steps && !steps->is_array())
    return r.fail(name + ".steps", "expected an array");
  for (size_t i = 0; steps && i < steps->size() && !r.failed(); ++i) {
    PlanStep step;
    parseStep(r, (*steps)[i], name + ".steps[" + std::to_string(i) + "]",
              step);
    f.steps.push_back(std::move(step));
  }
}

} // namespace

Status parsePlan(std::string_view text, const std::string &source,
                 Plan &plan) {
  json j = json::parse(text.begin(), text.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Status::failure(source + ": not valid JSON");
  FieldReader r(source);
  std::string format;
  int64_t version = 0;
  r.readString(j, "format", "plan", format);
  r.readInt(j, "version", "plan", version);
  if (r.failed())
    return r.status();
  if (format != "txc-plan")
    return Status::failure(source + ": not a txc plan (format '" + format +
                           "')");
  if (version != kPlanFormatVersion)
    return Status::failure(source + ": plan format version " +
                           std::to_string(version) + ", this runtime reads " +
                           std::to_string(kPlanFormatVersion));
  Plan parsed;
  if (const json *m = r.field(j, "model", "plan", true))
    parseModel(r, *m, parsed.model);
  if (const json *e = r.field(j, "encode", "plan", true))
    parseFunction(r, *e, "encode", parsed.encode);
  if (const json *d = r.field(j, "decode_step", "plan", true))
    parseFunction(r, *d, "decode_step", parsed.decodeStep);
  for (auto &[key, fn] : {std::pair{kDecodeArgmaxKey, &parsed.decodeArgmax},
                          std::pair{kDecodeTopKKey, &parsed.decodeTopK}})
    if (const json *f = r.field(j, key, "plan", false))
      parseFunction(r, *f, key, fn->emplace());
  if (r.failed())
    return r.status();
  if (Status s = verifyPlan(parsed, source); !s.ok())
    return s;
  plan = std::move(parsed);
  return Status::success();
}

std::vector<const PlanFunction *> Plan::functions() const {
  std::vector<const PlanFunction *> all{&encode, &decodeStep};
  for (const std::optional<PlanFunction> *fused : {&decodeArgmax, &decodeTopK})
    if (*fused)
      all.push_back(&**fused);
  return all;
}

std::vector<PlanFunction *> Plan::functions() {
  std::vector<PlanFunction *> all;
  for (const PlanFunction *f : std::as_const(*this).functions())
    all.push_back(const_cast<PlanFunction *>(f));
  return all;
}

Status loadPlanFile(const std::string &path, Plan &plan) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::failure(path + ": cannot open the plan file");
  std::ostringstream text;
  text << in.rdbuf();
  return parsePlan(text.str(), path, plan);
}

} // namespace txc::runtime
