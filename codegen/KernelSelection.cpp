#include "codegen/KernelSelection.h"

#include <cmath>
#include <cstring>
#include <set>
#include <optional>
#include <sstream>

using namespace txc;
using namespace txc::codegen;
using runtime::OpKind;
using runtime::PlanFunction;
using runtime::PlanStep;

namespace {

// A kernel choice for one step: what to compile, and the ranks the executor
// collapses each tensor argument (operands, then result) to.
struct Choice {
  KernelSpec spec;
  std::string symbol;
  std::vector<int> ranks;
};

std::string activationSuffix(Activation a) {
  switch (a) {
  case Activation::None: return "";
  case Activation::Relu: return "_relu";
  case Activation::Gelu: return "_gelu";
  case Activation::GeluTanh: return "_gelu_tanh";
  case Activation::Swish: return "_swish";
  }
  return "";
}

std::string dimName(int64_t d) {
  return d == kDynamic ? std::string("d") : std::to_string(d);
}

// A float attribute as a symbol fragment: its bits in hex, so distinct
// values never share a kernel.
std::string floatTag(double value) {
  float f = float(value);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  std::ostringstream os;
  os << std::hex << bits;
  return os.str();
}

class Selector {
public:
  Selector(runtime::Plan &plan, int panelWidth)
      : plan(plan), panelWidth(panelWidth) {}

  KernelSelection run() {
    for (PlanFunction *fn : {&plan.encode, &plan.decodeStep})
      selectIn(*fn);
    return std::move(selection);
  }

private:
  const runtime::Dims &shapeOf(const PlanFunction &fn, int value) {
    return fn.values[value].shape;
  }
  int64_t lastDim(const PlanFunction &fn, int value) {
    return shapeOf(fn, value).back();
  }

  std::optional<Choice> choose(PlanFunction &fn, PlanStep &step);
  Choice chooseLinear(PlanFunction &fn, PlanStep &step);
  int packedWeight(PlanFunction &fn, const PlanStep &weightStep, int64_t n,
                   int64_t k);
  void selectIn(PlanFunction &fn);
  void pruneUnusedWeights(PlanFunction &fn);

  runtime::Plan &plan;
  int panelWidth;
  KernelSelection selection;
  std::vector<PlanStep> newWeightSteps;
  std::map<std::string, int> packedValueByName;
};

} // namespace

// Adds (once per function) a weight step reading the packed copy of
// `weightStep`'s tensor; returns its value id.
int Selector::packedWeight(PlanFunction &fn, const PlanStep &weightStep,
                           int64_t n, int64_t k) {
  std::string source = weightStep.attrString("name");
  std::string name = source + "@panels" + std::to_string(panelWidth);
  if (auto it = packedValueByName.find(name); it != packedValueByName.end())
    return it->second;
  int64_t panels = (n + panelWidth - 1) / panelWidth;
  runtime::ValueType type;
  type.shape = {panels, k, panelWidth};
  int id = int(fn.values.size());
  fn.values.push_back(type);
  PlanStep step;
  step.kind = OpKind::Weight;
  step.attrs["name"] = name;
  step.result = id;
  step.location = weightStep.location;
  newWeightSteps.push_back(step);
  packedValueByName[name] = id;
  bool known = false;
  for (const PackedWeight &p : selection.packedWeights)
    known |= p.name == name;
  if (!known)
    selection.packedWeights.push_back({name, source, n, k, panelWidth});
  return id;
}

Choice Selector::chooseLinear(PlanFunction &fn, PlanStep &step) {
  GemmParams gemm;
  gemm.n = shapeOf(fn, step.operands[1])[0];
  gemm.k = shapeOf(fn, step.operands[1])[1];
  gemm.panelWidth = panelWidth;
  gemm.bias = step.operands[2] >= 0;
  step.attrs["out_features"] = gemm.n;
  if (step.kind == OpKind::LinearActivation) {
    static const std::map<std::string, Activation> byName = {
        {"relu", Activation::Relu}, {"gelu", Activation::Gelu},
        {"gelu_tanh", Activation::GeluTanh}, {"swish", Activation::Swish}};
    auto it = byName.find(step.attrString("activation"));
    gemm.activation = it == byName.end() ? Activation::None : it->second;
  }
  // The producer of the weight operand is a Weight step; read its name.
  for (const PlanStep &producer : fn.steps)
    if (producer.result == step.operands[1])
      step.operands[1] = packedWeight(fn, producer, gemm.n, gemm.k);
  std::string symbol = "txc_gemm_n" + std::to_string(gemm.n) + "_k" +
                       std::to_string(gemm.k) + (gemm.bias ? "_bias" : "") +
                       activationSuffix(gemm.activation);
  std::vector<int> ranks{2, 3};
  if (gemm.bias)
    ranks.push_back(1);
  ranks.push_back(2);
  return {gemm, symbol, ranks};
}

std::optional<Choice> Selector::choose(PlanFunction &fn, PlanStep &step) {
  switch (step.kind) {
  case OpKind::Linear:
  case OpKind::LinearActivation:
    return chooseLinear(fn, step);
  case OpKind::Matmul: {
    const runtime::Dims &a = shapeOf(fn, step.operands[0]);
    const runtime::Dims &b = shapeOf(fn, step.operands[1]);
    BatchMatmulParams mm;
    mm.transposeA = step.attrBool("transpose_a");
    mm.transposeB = step.attrBool("transpose_b");
    size_t r = a.size();
    mm.m = mm.transposeA ? a[r - 1] : a[r - 2];
    mm.k = mm.transposeA ? a[r - 2] : a[r - 1];
    mm.n = mm.transposeB ? b[r - 2] : b[r - 1];
    std::string symbol = "txc_bmm_m" + dimName(mm.m) + "_n" + dimName(mm.n) +
                         "_k" + dimName(mm.k) + (mm.transposeA ? "_ta" : "") +
                         (mm.transposeB ? "_tb" : "");
    return Choice{mm, symbol, {3, 3, 3}};
  }
  case OpKind::Softmax:
    if (shapeOf(fn, step.result).size() != 4)
      return std::nullopt;
    return Choice{SoftmaxParams{}, "txc_softmax", {4, 4}};
  case OpKind::LayerNorm: {
    LayerNormParams ln;
    ln.features = lastDim(fn, step.result);
    ln.eps = step.attrFloat("eps");
    std::string symbol = "txc_layer_norm_d" + std::to_string(ln.features) +
                         "_eps" + floatTag(ln.eps);
    return Choice{ln, symbol, {2, 1, 1, 2}};
  }
  case OpKind::Add: {
    ElementwiseParams add;
    add.add = true;
    return Choice{add, "txc_add", {1, 1, 1}};
  }
  case OpKind::Scale: {
    ElementwiseParams scale;
    scale.scale = float(step.attrFloat("factor"));
    return Choice{scale, "txc_scale_" + floatTag(step.attrFloat("factor")),
                  {1, 1}};
  }
  case OpKind::Relu:
  case OpKind::Gelu:
  case OpKind::GeluTanh:
  case OpKind::Swish: {
    ElementwiseParams act;
    act.activation = step.kind == OpKind::Relu   ? Activation::Relu
                     : step.kind == OpKind::Gelu ? Activation::Gelu
                     : step.kind == OpKind::Swish
                         ? Activation::Swish
                         : Activation::GeluTanh;
    return Choice{act, "txc_activation" + activationSuffix(act.activation),
                  {1, 1}};
  }
  default:
    return std::nullopt;
  }
}

void Selector::selectIn(PlanFunction &fn) {
  newWeightSteps.clear();
  packedValueByName.clear();
  for (PlanStep &step : fn.steps) {
    std::optional<Choice> choice = choose(fn, step);
    if (!choice)
      continue;
    step.kernel = choice->symbol;
    step.kernelRanks = choice->ranks;
    selection.kernels.emplace(choice->symbol, choice->spec);
  }
  // Packed weights have no inputs: reading them first keeps the order valid.
  fn.steps.insert(fn.steps.begin(), newWeightSteps.begin(),
                  newWeightSteps.end());
  pruneUnusedWeights(fn);
}

// Drops weight steps nothing reads any more (linear weights now read their
// packed copy), so the weight file holds only what the kernels use.
void Selector::pruneUnusedWeights(PlanFunction &fn) {
  std::set<int> used(fn.results.begin(), fn.results.end());
  for (const PlanStep &step : fn.steps)
    used.insert(step.operands.begin(), step.operands.end());
  std::vector<PlanStep> kept;
  for (PlanStep &step : fn.steps)
    if (step.kind != OpKind::Weight || used.count(step.result))
      kept.push_back(std::move(step));
  fn.steps = std::move(kept);
}

KernelSelection txc::codegen::selectKernels(runtime::Plan &plan,
                                            int panelWidth) {
  return Selector(plan, panelWidth).run();
}
