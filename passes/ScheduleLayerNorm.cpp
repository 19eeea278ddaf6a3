// schedule-layernorm: layer_norm(add(x, r)) becomes add_layer_norm(x, r),
// one vectorized pass over each row that never writes the sum. The add must
// feed only the norm (post-norm stacks); in pre-norm stacks the sum is the
// residual stream and stays a separate value.
#include "passes/PassDetail.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace txc;

namespace {

struct ResidualNormPattern : public OpRewritePattern<LayerNormOp> {
  ResidualNormPattern(MLIRContext *context, int64_t vectorWidth)
      : OpRewritePattern(context), vectorWidth(vectorWidth) {}

  LogicalResult matchAndRewrite(LayerNormOp norm,
                                PatternRewriter &rewriter) const override {
    auto add = norm.input().getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse())
      return failure();
    rewriter.replaceOpWithNewOp<AddLayerNormOp>(
        norm, norm.getType(), add.lhs(), add.rhs(), norm.gamma(), norm.beta(),
        norm.epsAttr(), rewriter.getI64IntegerAttr(vectorWidth));
    return success();
  }

  int64_t vectorWidth;
};

struct ScheduleLayerNormPass
    : public ScheduleLayerNormBase<ScheduleLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ResidualNormPattern>(&getContext(), vectorWidth);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> txc::createScheduleLayerNormPass() {
  return std::make_unique<ScheduleLayerNormPass>();
}
