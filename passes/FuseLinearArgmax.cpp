// fuse-linear-argmax: greedy search reads one token per row, never the
// logits, so @decode_step_argmax's output projection and its txc.argmax
// become one txc.linear_argmax. Codegen then computes the argmax without
// every exact logit: an int8 screen with a proven error bound rules out
// most of the vocabulary and only the rest is rescored in f32
// (runtime/VocabScreen.h), for the same tokens.
#include "passes/PassDetail.h"

#include "ir/ModuleConventions.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace txc;
namespace conv = txc::conventions;

namespace {

// The GEMM (no activation) whose logits only `argmax` reads, or null.
GemmOp projectionOf(ArgmaxOp argmax) {
  auto gemm = argmax.logits().getDefiningOp<GemmOp>();
  if (!gemm || gemm.activation() != "none" || !gemm->hasOneUse())
    return nullptr;
  return gemm;
}

struct FuseLinearArgmaxPass
    : public FuseLinearArgmaxBase<FuseLinearArgmaxPass> {
  void runOnOperation() override {
    auto step = getOperation().lookupSymbol<FuncOp>(conv::kDecodeArgmaxFunc);
    if (!step)
      return;
    SmallVector<ArgmaxOp> argmaxes;
    step.walk([&](ArgmaxOp op) { argmaxes.push_back(op); });
    for (ArgmaxOp argmax : argmaxes) {
      GemmOp gemm = projectionOf(argmax);
      if (!gemm)
        continue;
      OpBuilder builder(argmax);
      Location loc = builder.getFusedLoc({gemm.getLoc(), argmax.getLoc()});
      auto fused = builder.create<LinearArgmaxOp>(
          loc, argmax.getType(), gemm.input(), gemm.packed(),
          argmax.masked_token(), gemm.bias(), gemm.out_featuresAttr());
      argmax.replaceAllUsesWith(fused.getResult());
      argmax.erase();
      gemm.erase();
    }
  }
};

} // namespace

std::unique_ptr<Pass> txc::createFuseLinearArgmaxPass() {
  return std::make_unique<FuseLinearArgmaxPass>();
}
