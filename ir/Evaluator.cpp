#include "ir/Evaluator.h"

#include "ir/EvalOps.h"
#include "ir/TxcDialect.h"

#include "mlir/Dialect/Arithmetic/IR/Arithmetic.h"
#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace txc;

namespace {

std::string locationString(Location loc) {
  if (auto file = loc.dyn_cast<FileLineColLoc>())
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  if (auto named = loc.dyn_cast<NameLoc>())
    return locationString(named.getChildLoc());
  std::string s;
  llvm::raw_string_ostream os(s);
  os << loc;
  return os.str();
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return os.str();
}

llvm::Error error(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string functionName(FuncOp fn) { return ("@" + fn.getName()).str(); }

// Verifies `fn`, returning the first diagnostic as the error.
llvm::Error verifyFunction(FuncOp fn) {
  std::string first;
  ScopedDiagnosticHandler handler(fn.getContext(), [&](Diagnostic &diag) {
    if (first.empty())
      first = locationString(diag.getLocation()) + ": " + diag.str();
    return success();
  });
  if (succeeded(mlir::verify(fn)))
    return llvm::Error::success();
  return error("function " + functionName(fn) + " does not verify: " + first);
}

EvalResult evaluateConstant(arith::ConstantOp op) {
  auto value = op.getValue().dyn_cast<IntegerAttr>();
  if (!value || !value.getType().isIndex())
    return opError(op, "only index constants are supported, got " +
                           typeString(op.getType()));
  return EvalValue::index(value.getInt());
}

} // namespace

llvm::Error txc::opError(Operation *op, const Twine &message) {
  return error(locationString(op->getLoc()) + ": '" +
               op->getName().getStringRef() + "' " + message);
}

std::string txc::shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

llvm::Error txc::checkValueType(const EvalValue &value, Type type,
                                const Twine &what) {
  bool fits = false;
  if (type.isIndex()) {
    fits = value.kind() == EvalValue::Kind::Index;
  } else if (auto tensor = type.dyn_cast<RankedTensorType>()) {
    Type element = tensor.getElementType();
    EvalValue::Kind kind = element.isF32() ? EvalValue::Kind::F32
                           : element.isSignlessInteger(32)
                               ? EvalValue::Kind::I32
                               : EvalValue::Kind::Index;
    fits = value.isTensor() && value.kind() == kind &&
           value.rank() == tensor.getRank();
    for (int64_t i = 0; fits && i < tensor.getRank(); ++i)
      fits = tensor.isDynamicDim(i) || tensor.getDimSize(i) == value.dim(i);
  }
  if (fits)
    return llvm::Error::success();
  return error(what + " is " + value.typeString() + " but " + typeString(type) +
               " is expected");
}

llvm::Expected<EvalValue>
Evaluator::cached(llvm::StringMap<EvalValue> &cache, StringRef key,
                  llvm::function_ref<llvm::Expected<EvalValue>()> compute) {
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  llvm::Expected<EvalValue> value = compute();
  if (!value)
    return value.takeError();
  return cache.try_emplace(key, std::move(*value)).first->second;
}

llvm::Expected<EvalValue> Evaluator::weight(Operation *op, StringRef name,
                                            Type type) {
  llvm::Expected<EvalValue> value =
      cached(cachedWeights, name, [&]() -> llvm::Expected<EvalValue> {
        llvm::Expected<WeightView> view = readWeight(op, name, weights);
        if (!view)
          return view.takeError();
        return EvalValue::f32(view->shape.vec(), view->values.vec());
      });
  if (!value)
    return value.takeError();
  auto expected = type.cast<RankedTensorType>().getShape();
  if (value->shape() != expected)
    return opError(op, "weight '" + name + "' is stored with shape " +
                           shapeString(value->shape()) +
                           " but the op expects " + shapeString(expected));
  return value;
}

llvm::Expected<std::vector<EvalValue>>
Evaluator::run(FuncOp fn, llvm::ArrayRef<EvalValue> args) {
  if (llvm::Error e = verifyFunction(fn))
    return std::move(e);
  if (fn.isExternal() || !llvm::hasSingleElement(fn.getBody()))
    return error("function " + functionName(fn) +
                 " must have a body of one block");
  FunctionType type = fn.getType();
  if (args.size() != type.getNumInputs())
    return error("function " + functionName(fn) + " takes " +
                 Twine(type.getNumInputs()) + " arguments but got " +
                 Twine(args.size()));

  // Each value is dropped after its last use, so a long function holds only
  // its live intermediates.
  llvm::DenseMap<Value, EvalValue> values;
  llvm::DenseMap<Value, unsigned> usesLeft;
  auto define = [&](Value v, EvalValue value) {
    unsigned uses = std::distance(v.use_begin(), v.use_end());
    if (uses == 0)
      return;
    values[v] = std::move(value);
    usesLeft[v] = uses;
  };

  Block &body = fn.getBody().front();
  for (unsigned i = 0; i < args.size(); ++i) {
    if (llvm::Error e = checkValueType(args[i], type.getInput(i),
                                       "function " + functionName(fn) +
                                           ": argument " + Twine(i)))
      return std::move(e);
    define(body.getArgument(i), args[i]);
  }

  for (Operation &op : body) {
    llvm::SmallVector<EvalValue, 4> operands;
    for (Value v : op.getOperands())
      operands.push_back(values.lookup(v));

    if (isa<ReturnOp>(op)) {
      for (unsigned i = 0; i < operands.size(); ++i)
        if (llvm::Error e = checkValueType(operands[i], type.getResult(i),
                                           "function " + functionName(fn) +
                                               ": result " + Twine(i)))
          return std::move(e);
      return std::vector<EvalValue>(operands.begin(), operands.end());
    }

    EvalResult result =
        llvm::TypeSwitch<Operation *, EvalResult>(&op)
            .Case<WeightOp>(
                [&](WeightOp w) { return weight(w, w.name(), w.getType()); })
            .Case<ConcatWeightsOp>([&](ConcatWeightsOp c) {
              SmallVector<StringRef> names;
              for (Attribute name : c.names())
                names.push_back(name.cast<StringAttr>().getValue());
              return cached(cachedStacks, llvm::join(names, "+"),
                            [&] { return evaluate(c, weights); });
            })
            .Case<PackedWeightOp>([&](PackedWeightOp p) {
              std::string key = (p.name() + " " + Twine(p.rows()) + " " +
                                 Twine(p.panel_width()))
                                    .str();
              return cached(cachedPacks, key,
                            [&] { return evaluate(p, weights); });
            })
            .Case<arith::ConstantOp>(evaluateConstant)
            .Case<EmbeddingOp, SinusoidPositionsOp, LearnedPositionsOp,
                  LinearOp, MatmulOp, SplitHeadsOp, MergeHeadsOp, ScaleOp,
                  AddOp, ReluOp, GeluOp, GeluTanhOp, SwishOp, PaddingMaskOp,
                  CausalMaskOp, SoftmaxOp, LayerNormOp, KvCacheReadOp,
                  KvCacheAppendOp, SliceOp, GemmOp, AttentionOp,
                  AddLayerNormOp, ArgmaxOp, LinearArgmaxOp, LogSoftmaxTopKOp, PackRowsOp,
                  UnpackRowsOp>(
                [&](auto txcOp) { return evaluate(txcOp, operands); })
            .Default([&](Operation *other) -> EvalResult {
              return opError(other, "is not supported by the evaluator");
            });
    if (!result)
      return result.takeError();
    if (op.getNumResults() != 1)
      return opError(&op, "must have exactly one result");
    if (llvm::Error e =
            checkValueType(*result, op.getResult(0).getType(),
                           locationString(op.getLoc()) + ": result of '" +
                               op.getName().getStringRef() + "'"))
      return std::move(e);
    define(op.getResult(0), std::move(*result));

    for (Value v : op.getOperands())
      if (--usesLeft[v] == 0) {
        values.erase(v);
        usesLeft.erase(v);
      }
  }
  return error("function " + functionName(fn) + " has no return");
}

llvm::Expected<std::vector<EvalValue>>
txc::evaluateFunction(FuncOp fn, llvm::ArrayRef<EvalValue> args,
                      const WeightSource &weights) {
  Evaluator evaluator(weights);
  return evaluator.run(fn, args);
}
