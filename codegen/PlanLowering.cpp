#include "codegen/PlanLowering.h"

#include "codegen/WeightNames.h"
#include "ir/ModuleConventions.h"
#include "ir/TxcDialect.h"

#include "mlir/Dialect/Arithmetic/IR/Arithmetic.h"
#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace txc;
using namespace txc::codegen;
namespace conv = txc::conventions;

static llvm::Error loweringError(Operation *op, const std::string &what) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getLoc() << ": " << what << " '" << op->getName() << "'";
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s",
                                 os.str().c_str());
}

static std::string locationName(Location loc) {
  if (auto name = loc.dyn_cast<NameLoc>())
    return name.getName().str();
  if (auto fused = loc.dyn_cast<FusedLoc>()) {
    for (Location inner : fused.getLocations())
      if (std::string n = locationName(inner); !n.empty())
        return n;
  }
  return "";
}

static llvm::Expected<runtime::ValueType> valueType(Type type) {
  runtime::ValueType out;
  if (type.isa<IndexType>()) {
    out.dtype = runtime::DType::Index;
    return out;
  }
  auto tensor = type.dyn_cast<RankedTensorType>();
  if (!tensor || !(tensor.getElementType().isF32() ||
                   tensor.getElementType().isInteger(32))) {
    std::string text;
    llvm::raw_string_ostream(text) << type;
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no plan type for %s", text.c_str());
  }
  out.dtype = tensor.getElementType().isF32() ? runtime::DType::F32
                                              : runtime::DType::I32;
  out.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return out;
}

static std::map<std::string, runtime::AttrValue>
lowerAttributes(Operation *op) {
  std::map<std::string, runtime::AttrValue> attrs;
  for (NamedAttribute named : op->getAttrs()) {
    Attribute attr = named.getValue();
    std::string key = named.getName().str();
    if (auto b = attr.dyn_cast<BoolAttr>())
      attrs[key] = b.getValue();
    else if (auto i = attr.dyn_cast<IntegerAttr>())
      attrs[key] = i.getValue().getSExtValue();
    else if (auto f = attr.dyn_cast<FloatAttr>())
      attrs[key] = f.getValueAsDouble();
    else if (auto s = attr.dyn_cast<StringAttr>())
      attrs[key] = s.str();
  }
  return attrs;
}

// The step's kind and attributes. The ops the passes produce map onto plan
// kinds: stacked and packed weights are weight steps naming the tensors
// WeightEmission writes (WeightNames.h), a gemm is a linear over a packed
// weight, with its activation when it has one.
static llvm::Error lowerKindAndAttributes(Operation *op,
                                          runtime::PlanStep &step) {
  if (auto constant = dyn_cast<arith::ConstantIndexOp>(op)) {
    step.kind = runtime::OpKind::Constant;
    step.attrs["value"] = int64_t(constant.value());
    return llvm::Error::success();
  }
  if (auto concat = dyn_cast<ConcatWeightsOp>(op)) {
    std::vector<std::string> names;
    for (Attribute name : concat.names())
      names.push_back(name.cast<StringAttr>().str());
    step.kind = runtime::OpKind::Weight;
    step.attrs["name"] = stackedWeightName(names);
    return llvm::Error::success();
  }
  if (auto packed = dyn_cast<PackedWeightOp>(op)) {
    step.kind = runtime::OpKind::Weight;
    step.attrs["name"] =
        packedWeightName(packed.name().str(), packed.panel_width());
    return llvm::Error::success();
  }
  step.attrs = lowerAttributes(op);
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    bool plain = gemm.activation() == "none";
    step.kind = plain ? runtime::OpKind::Linear
                      : runtime::OpKind::LinearActivation;
    if (plain)
      step.attrs.erase("activation");
    return llvm::Error::success();
  }
  StringRef name = op->getName().getStringRef();
  std::optional<runtime::OpKind> kind;
  if (name.consume_front("txc."))
    kind = runtime::parseOpKind(name.str());
  if (!kind)
    return loweringError(op, "no plan step for op");
  step.kind = *kind;
  return llvm::Error::success();
}

namespace {

class FunctionLowering {
public:
  explicit FunctionLowering(runtime::PlanFunction &out) : out(out) {}

  llvm::Error lower(FuncOp func);

private:
  llvm::Expected<int> addValue(Value value) {
    auto type = valueType(value.getType());
    if (!type)
      return type.takeError();
    int id = int(out.values.size());
    out.values.push_back(std::move(*type));
    ids[value] = id;
    return id;
  }
  llvm::Error lowerOp(Operation *op);
  void lowerOperands(Operation *op, runtime::PlanStep &step);

  runtime::PlanFunction &out;
  llvm::DenseMap<Value, int> ids;
};

} // namespace

// Optional operands the op leaves out are -1 in the step. Trailing ones
// are simply missing; an op with optional operands before others
// (txc.attention) records each operand group's size, an empty group being
// an absent operand.
void FunctionLowering::lowerOperands(Operation *op, runtime::PlanStep &step) {
  auto segments = op->getAttrOfType<DenseIntElementsAttr>(
      OpTrait::AttrSizedOperandSegments<void>::getOperandSegmentSizeAttr());
  if (segments) {
    unsigned next = 0;
    for (const APInt &size : segments.getValues<APInt>()) {
      if (size.isZero())
        step.operands.push_back(-1);
      for (int64_t i = 0; i < size.getSExtValue(); ++i)
        step.operands.push_back(ids.lookup(op->getOperand(next++)));
    }
  } else {
    for (Value operand : op->getOperands())
      step.operands.push_back(ids.lookup(operand));
  }
  size_t arity = std::strlen(runtime::operandSignature(step.kind));
  while (step.operands.size() < arity)
    step.operands.push_back(-1);
}

llvm::Error FunctionLowering::lowerOp(Operation *op) {
  if (auto ret = dyn_cast<ReturnOp>(op)) {
    for (Value v : ret.getOperands())
      out.results.push_back(ids.lookup(v));
    return llvm::Error::success();
  }
  runtime::PlanStep step;
  if (llvm::Error err = lowerKindAndAttributes(op, step))
    return err;
  lowerOperands(op, step);
  auto result = addValue(op->getResult(0));
  if (!result)
    return result.takeError();
  step.result = *result;
  step.location = locationName(op->getLoc());
  out.steps.push_back(std::move(step));
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lower(FuncOp func) {
  out.name = func.getName().str();
  for (BlockArgument arg : func.getArguments()) {
    auto id = addValue(arg);
    if (!id)
      return id.takeError();
    out.arguments.push_back(*id);
  }
  for (Operation &op : func.getBody().front())
    if (llvm::Error err = lowerOp(&op))
      return err;
  return llvm::Error::success();
}

static int64_t intAttr(ModuleOp module, const char *name) {
  if (auto attr = module->getAttrOfType<IntegerAttr>(name))
    return attr.getInt();
  return 0;
}

llvm::Expected<runtime::Plan> txc::codegen::lowerModuleToPlan(ModuleOp module) {
  runtime::Plan plan;
  runtime::ModelInfo &info = plan.model;
  if (auto name = module->getAttrOfType<StringAttr>(conv::kModelNameAttr))
    info.name = name.str();
  info.dModel = intAttr(module, conv::kDModelAttr);
  info.heads = intAttr(module, conv::kHeadsAttr);
  info.headDim = info.heads ? info.dModel / info.heads : 0;
  info.encoderLayers = intAttr(module, conv::kEncoderLayersAttr);
  info.decoderLayers = intAttr(module, conv::kDecoderLayersAttr);
  info.sourceVocab = intAttr(module, conv::kSourceVocabAttr);
  info.targetVocab = intAttr(module, conv::kTargetVocabAttr);
  info.maxPositions = intAttr(module, conv::kMaxPositionsAttr);
  info.pad = intAttr(module, conv::kPadAttr);
  info.unk = intAttr(module, conv::kUnkAttr);
  info.eos = intAttr(module, conv::kEosAttr);
  info.decoderStart = intAttr(module, conv::kDecoderStartAttr);

  std::pair<const char *, runtime::PlanFunction *> funcs[] = {
      {conv::kEncodeFunc, &plan.encode},
      {conv::kDecodeStepFunc, &plan.decodeStep}};
  for (auto &[name, out] : funcs) {
    auto func = module.lookupSymbol<FuncOp>(name);
    if (!func)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the module has no @%s", name);
    if (llvm::Error err = FunctionLowering(*out).lower(func))
      return std::move(err);
  }
  std::pair<const char *, std::optional<runtime::PlanFunction> *> fused[] = {
      {conv::kDecodeArgmaxFunc, &plan.decodeArgmax},
      {conv::kDecodeTopKFunc, &plan.decodeTopK}};
  for (auto &[name, out] : fused)
    if (auto func = module.lookupSymbol<FuncOp>(name))
      if (llvm::Error err = FunctionLowering(out->emplace()).lower(func))
        return std::move(err);
  return plan;
}
