#include "codegen/KernelSelection.h"

#include "codegen/PlanWeightSteps.h"
#include "codegen/WeightNames.h"
#include "runtime/VocabScreen.h"

#include <cmath>
#include <cstring>
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
    for (PlanFunction *fn : plan.functions())
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
  std::optional<Choice> chooseLinear(PlanFunction &fn, PlanStep &step);
  std::optional<Choice> chooseAttention(PlanFunction &fn, PlanStep &step);
  std::optional<Choice> chooseLinearArgmax(PlanFunction &fn, PlanStep &step);
  std::optional<std::string> packedSource(PlanFunction &fn, PlanStep &step,
                                          int64_t &n, int64_t &k);
  Choice chooseLayerNorm(PlanFunction &fn, PlanStep &step);
  int packedWeight(PlanFunction &fn, const PlanStep &weightStep, int64_t n,
                   int64_t k);
  int weightValue(PlanFunction &fn, const std::string &name,
                  runtime::Dims shape, const std::string &location,
                  runtime::DType dtype);
  void recordPackedWeight(const PackedWeight &packed);
  void selectIn(PlanFunction &fn);

  runtime::Plan &plan;
  int panelWidth;
  KernelSelection selection;
  std::vector<PlanStep> newWeightSteps;
  std::map<std::string, int> weightValueByName;
};

} // namespace

void Selector::recordPackedWeight(const PackedWeight &packed) {
  if (!findPackedWeight(selection, packed.name))
    selection.packedWeights.push_back(packed);
}

// Adds (once per function) a weight step reading the packed copy of
// `weightStep`'s tensor; returns its value id.
int Selector::packedWeight(PlanFunction &fn, const PlanStep &weightStep,
                           int64_t n, int64_t k) {
  std::string source = weightStep.attrString("name");
  std::string name = packedWeightName(source, panelWidth);
  int64_t panels = (n + panelWidth - 1) / panelWidth;
  recordPackedWeight({name, source, n, k, panelWidth});
  return weightValue(fn, name, {panels, k, panelWidth}, weightStep.location,
                     runtime::DType::F32);
}

// Adds (once per function) a weight step reading the tensor `name` the
// compiler writes; returns its value id.
int Selector::weightValue(PlanFunction &fn, const std::string &name,
                          runtime::Dims shape, const std::string &location,
                          runtime::DType dtype) {
  if (auto it = weightValueByName.find(name); it != weightValueByName.end())
    return it->second;
  newWeightSteps.push_back(newWeightStep(fn, name, std::move(shape), location));
  int id = newWeightSteps.back().result;
  fn.values[id].dtype = dtype;
  weightValueByName[name] = id;
  return id;
}

// A linear's weight is either [n, k], which gets a packed copy here, or
// already packed [panels, k, P] by tile-ffn, whose panels and schedule the
// GEMM keeps. Either way it must be a weight the compiler writes.
std::optional<Choice> Selector::chooseLinear(PlanFunction &fn,
                                             PlanStep &step) {
  // A copy: packing adds values to `fn`.
  const runtime::Dims w = shapeOf(fn, step.operands[1]);
  GemmParams gemm;
  if (!packedSource(fn, step, gemm.n, gemm.k))
    return std::nullopt;
  gemm.bias = step.operands[2] >= 0;
  gemm.panelWidth = w.size() == 3 ? int(w[2]) : panelWidth;
  if (w.size() == 3) {
    gemm.rowsPerTile = int(step.attrInt("tile_rows"));
    gemm.panelsPerTask = int(step.attrInt("panels_per_task"));
  }
  if (step.kind == OpKind::LinearActivation) {
    static const std::map<std::string, Activation> byName = {
        {"relu", Activation::Relu}, {"gelu", Activation::Gelu},
        {"gelu_tanh", Activation::GeluTanh}, {"swish", Activation::Swish}};
    auto it = byName.find(step.attrString("activation"));
    gemm.activation = it == byName.end() ? Activation::None : it->second;
  }
  std::string symbol = "txc_gemm_n" + std::to_string(gemm.n) + "_k" +
                       std::to_string(gemm.k) + "_p" +
                       std::to_string(gemm.panelWidth) +
                       (gemm.bias ? "_bias" : "") +
                       activationSuffix(gemm.activation);
  if (gemm.rowsPerTile)
    symbol += "_r" + std::to_string(gemm.rowsPerTile);
  if (gemm.panelsPerTask)
    symbol += "_t" + std::to_string(gemm.panelsPerTask);
  std::vector<int> ranks{2, 3};
  if (gemm.bias)
    ranks.push_back(1);
  ranks.push_back(2);
  return Choice{gemm, symbol, ranks};
}

// The source weight of a linear-like step's operand 1, which afterwards
// reads a packed copy; sets its rows `n` and columns `k`. None when the
// operand is not a weight the compiler writes.
std::optional<std::string> Selector::packedSource(PlanFunction &fn,
                                                  PlanStep &step, int64_t &n,
                                                  int64_t &k) {
  const PlanStep *weight = weightProducer(fn, step.operands[1]);
  if (!weight)
    return std::nullopt;
  const runtime::Dims w = shapeOf(fn, step.operands[1]);
  k = w[1];
  if (w.size() != 3) {
    n = w[0];
    step.attrs["out_features"] = n;
    step.operands[1] = packedWeight(fn, *weight, n, k);
    return weight->attrString("name");
  }
  std::string name = weight->attrString("name");
  auto source = packedWeightSource(name, w[2]);
  n = step.attrInt("out_features");
  if (source)
    recordPackedWeight({name, *source, n, k, int(w[2])});
  return source;
}

// The greedy output projection: the int8 screen kernel, whose screen and
// stats become the step's operands 4 and 5; the runtime rescores its
// candidates in f32 from the weight's rows, which operand 1 then reads
// unpacked: a few scattered rows of panels would cost a cache line per
// element (runtime/VocabScreen.h). A weight the screen cannot serve leaves
// the step to the runtime.
std::optional<Choice> Selector::chooseLinearArgmax(PlanFunction &fn,
                                                   PlanStep &step) {
  ScreenLogitsParams screen;
  auto source = packedSource(fn, step, screen.n, screen.k);
  screen.bias = step.operands[3] >= 0;
  if (!source || !validateKernelSpec(screen).empty())
    return std::nullopt;
  ScreenWeight weights{screenWeightName(*source, screen.panelWidth),
                       screenStatsName(*source), *source, screen.n, screen.k,
                       screen.panelWidth};
  int64_t panels = (screen.n + screen.panelWidth - 1) / screen.panelWidth;
  step.operands[1] = weightValue(fn, *source, {screen.n, screen.k},
                                 step.location, runtime::DType::F32);
  step.operands[4] =
      weightValue(fn, weights.name, {panels, screen.k / 4, screen.panelWidth},
                  step.location, runtime::DType::I32);
  step.operands[5] =
      weightValue(fn, weights.statsName, {runtime::kScreenStats, screen.n},
                  step.location, runtime::DType::F32);
  if (!findScreenWeight(selection, weights.name))
    selection.screenWeights.push_back(weights);
  std::string symbol = "txc_screen_logits_n" + std::to_string(screen.n) +
                       "_k" + std::to_string(screen.k) + "_p" +
                       std::to_string(screen.panelWidth) +
                       (screen.bias ? "_bias" : "");
  std::vector<int> ranks{2, 3, 2};
  if (screen.bias)
    ranks.push_back(1);
  ranks.push_back(2);
  return Choice{screen, symbol, ranks};
}

// The masks follow the operands present; the causal offset, an index
// operand, becomes the kernel's int32 scalar.
std::optional<Choice> Selector::chooseAttention(PlanFunction &fn,
                                                PlanStep &step) {
  const runtime::Dims &q = shapeOf(fn, step.operands[0]);
  const runtime::Dims &v = shapeOf(fn, step.operands[2]);
  if (q.back() <= 0 || v.back() != q.back())
    return std::nullopt;
  AttentionParams attention;
  attention.headDim = q.back();
  attention.scale = float(step.attrFloat("scale"));
  attention.paddingMask = step.operands[3] >= 0;
  attention.causalMask = step.operands[4] >= 0;
  attention.decodeStep = step.attrBool("decode");
  attention.keyRows = step.operands[5] >= 0;
  attention.keyBlock = int(step.attrInt("block_keys"));
  step.params.clear();
  if (attention.causalMask)
    step.params.push_back({"offset", runtime::ScalarType::I32, 4});
  std::string symbol = "txc_attention_dh" + std::to_string(attention.headDim) +
                       "_s" + floatTag(attention.scale) +
                       (attention.paddingMask ? "_padding" : "") +
                       (attention.causalMask ? "_causal" : "") +
                       (attention.decodeStep ? "_decode" : "") +
                       (attention.keyRows ? "_rows" : "");
  if (attention.keyBlock)
    symbol += "_kb" + std::to_string(attention.keyBlock);
  std::vector<int> ranks{4, 4, 4};
  if (attention.paddingMask)
    ranks.push_back(1);
  if (attention.keyRows)
    ranks.push_back(1);
  ranks.push_back(4);
  return Choice{attention, symbol, ranks};
}

// layer_norm, or add_layer_norm: the norm of x + residual.
Choice Selector::chooseLayerNorm(PlanFunction &fn, PlanStep &step) {
  LayerNormParams ln;
  ln.features = lastDim(fn, step.result);
  ln.eps = step.attrFloat("eps");
  ln.residual = step.kind == OpKind::AddLayerNorm;
  std::string symbol = std::string(ln.residual ? "txc_add_layer_norm_d"
                                               : "txc_layer_norm_d") +
                       std::to_string(ln.features) + "_eps" + floatTag(ln.eps);
  std::vector<int> ranks{2};
  if (ln.residual)
    ranks.push_back(2);
  ranks.insert(ranks.end(), {1, 1, 2});
  return Choice{ln, symbol, ranks};
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
  case OpKind::LayerNorm:
  case OpKind::AddLayerNorm:
    return chooseLayerNorm(fn, step);
  case OpKind::Attention:
    return chooseAttention(fn, step);
  case OpKind::LinearArgmax:
    return chooseLinearArgmax(fn, step);
  case OpKind::Argmax: {
    // log_softmax_top_k stays the runtime's: selecting k of a row is
    // control flow a Halide pipeline does not express well.
    VocabReduceParams argmax;
    argmax.vocab = lastDim(fn, step.operands[0]);
    argmax.reduction = VocabReduction::Argmax;
    if (argmax.vocab <= 0)
      return std::nullopt;
    step.params = {{"masked_token", runtime::ScalarType::I32, 1}};
    return Choice{argmax, "txc_argmax_v" + std::to_string(argmax.vocab),
                  {2, 1}};
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
  weightValueByName.clear();
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
  // Linear weights now read their packed copy, so the weight file holds
  // only what the kernels use.
  pruneUnusedWeightSteps(fn);
}

const ScreenWeight *txc::codegen::findScreenWeight(
    const KernelSelection &selection, const std::string &name) {
  for (const ScreenWeight &s : selection.screenWeights)
    if (s.name == name || s.statsName == name)
      return &s;
  return nullptr;
}

const PackedWeight *txc::codegen::findPackedWeight(
    const KernelSelection &selection, const std::string &name) {
  for (const PackedWeight &p : selection.packedWeights)
    if (p.name == name)
      return &p;
  return nullptr;
}

KernelSelection txc::codegen::selectKernels(runtime::Plan &plan,
                                            int panelWidth) {
  return Selector(plan, panelWidth).run();
}
