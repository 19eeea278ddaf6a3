// tile-ffn: every linear becomes a txc.gemm over a weight packed in panels
// at compile time, with a following activation fused into its epilogue and
// the tiles chosen for the target recorded as attributes:
//   panel width P = 2 vectors (the GEMM's register tile width),
//   tile_rows    = rows of the register tile (the accumulators that fit),
//   panels_per_task = panels whose packed weights fill half the L2 cache,
//                     at most a thirty-second of them: the unit of parallel
//                     work.
#include "passes/DeadWeights.h"
#include "passes/GemmTiles.h"
#include "passes/PassDetail.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace txc;

namespace {

// The name a packed weight reads: a weight's own, or a concat_weights list
// joined by '+'.
std::string packedSourceName(Value weight) {
  if (auto w = weight.getDefiningOp<WeightOp>())
    return w.name().str();
  if (auto c = weight.getDefiningOp<ConcatWeightsOp>()) {
    SmallVector<StringRef> names;
    for (Attribute a : c.names())
      names.push_back(a.cast<StringAttr>().getValue());
    return llvm::join(names, "+");
  }
  return "";
}

// The activation a linear's only user applies, if it is one.
std::pair<Operation *, StringRef> fusableActivation(LinearOp op) {
  if (!op->hasOneUse())
    return {nullptr, "none"};
  Operation *user = *op->user_begin();
  if (isa<ReluOp>(user))
    return {user, "relu"};
  if (isa<GeluOp>(user))
    return {user, "gelu"};
  if (isa<GeluTanhOp>(user))
    return {user, "gelu_tanh"};
  if (isa<SwishOp>(user))
    return {user, "swish"};
  return {nullptr, "none"};
}

struct TileFfnPass : public TileFfnBase<TileFfnPass> {
  void runOnOperation() override {
    SmallVector<LinearOp> linears;
    getOperation().walk([&](LinearOp op) { linears.push_back(op); });
    for (LinearOp op : linears)
      tile(op);
    eraseDeadWeightReads(getOperation());
  }

  void tile(LinearOp op) {
    std::string source = packedSourceName(op.weight());
    if (source.empty())
      return;
    auto weight = op.weight().getType().cast<RankedTensorType>();
    int64_t n = weight.getDimSize(0), k = weight.getDimSize(1);
    int64_t panel = 2 * vectorWidth;
    int64_t panels = (n + panel - 1) / panel;
    int64_t tileRows = gemmTileRows(vectorWidth);
    int64_t perTask = gemmPanelsPerTask(n, k, panel, l2Bytes);

    OpBuilder b(op);
    Value packed = b.create<PackedWeightOp>(
        op.getLoc(),
        RankedTensorType::get({panels, k, panel}, b.getF32Type()),
        b.getStringAttr(source), b.getI64IntegerAttr(n),
        b.getI64IntegerAttr(panel));
    auto [activationOp, activation] = fusableActivation(op);
    Operation *replaced = activationOp ? activationOp : op.getOperation();
    auto gemm = b.create<GemmOp>(
        op.getLoc(), op.getType(), op.input(), packed, op.bias(),
        b.getI64IntegerAttr(n), b.getStringAttr(activation),
        b.getI64IntegerAttr(tileRows), b.getI64IntegerAttr(perTask));
    replaced->getResult(0).replaceAllUsesWith(gemm.getResult());
    if (activationOp)
      activationOp->erase();
    op->erase();
  }
};

} // namespace

std::unique_ptr<Pass> txc::createTileFfnPass() {
  return std::make_unique<TileFfnPass>();
}
