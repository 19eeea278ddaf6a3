// fuse-output: the decoder's output for search. @decode_step returns raw
// logits, which --dump-logits and any caller that wants them still get; the
// pass adds two copies of it that end in the search's own reduction instead:
//   @decode_step_argmax(..., %masked_token) -> (ids [b, t] i32, caches...)
//     greedy search: the output projection feeds txc.argmax, no softmax;
//   @decode_step_top_k(..., %k, %masked_token) -> (records [b, t, k, 2], ...)
//     beam search: log-softmax and top-k fused in txc.log_softmax_top_k.
// The runtime calls whichever the search needs, so a step never hands the
// search a whole vocabulary row per hypothesis.
#include "passes/PassDetail.h"

#include "ir/ModuleConventions.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace txc;
namespace conv = txc::conventions;

namespace {

// Clones `decodeStep` as `name`, placed after `after`, with index arguments
// `extraArgs` appended and its logits result replaced by what `reduce`
// builds from the logits and those arguments.
FuncOp addOutputVariant(
    FuncOp decodeStep, FuncOp after, StringRef name, unsigned extraArgs,
    function_ref<Value(OpBuilder &, Location, Value, ArrayRef<Value>)> reduce) {
  FuncOp variant = decodeStep.clone();
  variant.setName(name);
  OpBuilder(after).insert(variant);
  variant->moveAfter(after);

  Block &body = variant.getBody().front();
  auto ret = cast<ReturnOp>(body.getTerminator());
  Value logits = ret.getOperand(0);
  Location loc = logits.getLoc();
  OpBuilder builder(ret);
  SmallVector<Value> extra;
  for (unsigned i = 0; i < extraArgs; ++i)
    extra.push_back(body.addArgument(builder.getIndexType(), loc));
  Value reduced = reduce(builder, loc, logits, extra);
  ret->setOperand(0, reduced);
  variant.setType(builder.getFunctionType(body.getArgumentTypes(),
                                          ret.getOperandTypes()));
  return variant;
}

struct FuseOutputPass : public FuseOutputBase<FuseOutputPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto decodeStep = module.lookupSymbol<FuncOp>(conv::kDecodeStepFunc);
    // Running twice changes nothing: the variants are made once.
    if (!decodeStep || module.lookupSymbol(conv::kDecodeArgmaxFunc) ||
        module.lookupSymbol(conv::kDecodeTopKFunc))
      return;
    auto ret = dyn_cast<ReturnOp>(decodeStep.getBody().front().getTerminator());
    if (!ret || ret.getNumOperands() == 0)
      return;
    auto logitsType =
        ret.getOperand(0).getType().dyn_cast<RankedTensorType>();
    if (!logitsType || logitsType.getRank() < 1 ||
        !logitsType.getElementType().isF32()) {
      decodeStep.emitOpError() << "expects logits as its first result but got "
                               << ret.getOperand(0).getType();
      return signalPassFailure();
    }
    ArrayRef<int64_t> shape = logitsType.getShape();

    FuncOp argmax = addOutputVariant(
        decodeStep, decodeStep, conv::kDecodeArgmaxFunc, 1,
        [&](OpBuilder &b, Location loc, Value logits, ArrayRef<Value> args) {
          auto type = RankedTensorType::get(shape.drop_back(), b.getI32Type());
          return b.create<ArgmaxOp>(loc, type, logits, args[0]).getResult();
        });
    addOutputVariant(
        decodeStep, argmax, conv::kDecodeTopKFunc, 2,
        [&](OpBuilder &b, Location loc, Value logits, ArrayRef<Value> args) {
          SmallVector<int64_t> records(shape.begin(), shape.end());
          records.back() = ShapedType::kDynamicSize;
          records.push_back(2);
          auto type = RankedTensorType::get(records, b.getF32Type());
          return b
              .create<LogSoftmaxTopKOp>(loc, type, logits, args[0], args[1])
              .getResult();
        });
  }
};

} // namespace

std::unique_ptr<Pass> txc::createFuseOutputPass() {
  return std::make_unique<FuseOutputPass>();
}
