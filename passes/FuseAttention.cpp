// fuse-attention: the attention subgraph the frontend draws op by op,
//   s = matmul(q, k^T); s = scale(s); [padding_mask]; [causal_mask];
//   p = softmax(s); o = matmul(p, v)
// becomes one txc.attention, so the kernel keeps scores in registers and
// tiles instead of writing a [b, h, sq, sk] matrix. K and V that are
// kv_cache_reads by the same rows are read through `key_rows` instead.
#include "passes/PassDetail.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace txc;

namespace {

// Matches the chain backwards from the final matmul; every intermediate
// value must have that single use, or fusing would duplicate work.
struct AttentionChainPattern : public OpRewritePattern<MatmulOp> {
  AttentionChainPattern(MLIRContext *context, int64_t blockKeys)
      : OpRewritePattern(context), blockKeys(blockKeys) {}

  LogicalResult matchAndRewrite(MatmulOp pv,
                                PatternRewriter &rewriter) const override {
    if (pv.transpose_a() || pv.transpose_b())
      return failure();
    auto softmax = pv.lhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse())
      return failure();
    Value scores = softmax.input();
    Value offset, lengths;
    if (auto causal = scores.getDefiningOp<CausalMaskOp>()) {
      if (!causal->hasOneUse())
        return failure();
      offset = causal.offset();
      scores = causal.scores();
    }
    if (auto padding = scores.getDefiningOp<PaddingMaskOp>()) {
      if (!padding->hasOneUse())
        return failure();
      lengths = padding.lengths();
      scores = padding.scores();
    }
    auto scale = scores.getDefiningOp<ScaleOp>();
    if (!scale || !scale->hasOneUse())
      return failure();
    auto qk = scale.input().getDefiningOp<MatmulOp>();
    if (!qk || !qk->hasOneUse() || qk.transpose_a() || !qk.transpose_b())
      return failure();
    if (qk.lhs().getType().cast<RankedTensorType>().getRank() != 4)
      return failure();

    // K and V read by row from a tensor with rows of its own (the
    // encoder's cross-attention K/V, one row per sentence): the kernel
    // reads them where they are, by `key_rows`, instead of a copy per row.
    Value key = qk.rhs(), value = pv.rhs(), keyRows;
    auto keyRead = key.getDefiningOp<KvCacheReadOp>();
    auto valueRead = value.getDefiningOp<KvCacheReadOp>();
    if (keyRead && valueRead && keyRead.origin() == valueRead.origin()) {
      key = keyRead.cache();
      value = valueRead.cache();
      keyRows = keyRead.origin();
    }

    // One query per row over a KV cache: the decoder step's schedule.
    bool decode = pv->getParentOfType<FuncOp>().getName() == "decode_step";
    auto fused = rewriter.create<AttentionOp>(
        pv.getLoc(), pv.getType(), qk.lhs(), key, value, lengths, offset,
        keyRows, scale.factorAttr(), rewriter.getI64IntegerAttr(blockKeys),
        rewriter.getBoolAttr(decode));
    rewriter.replaceOp(pv, fused.getResult());
    return success();
  }

  int64_t blockKeys;
};

struct FuseAttentionPass : public FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AttentionChainPattern>(&getContext(), blockKeys);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> txc::createFuseAttentionPass() {
  return std::make_unique<FuseAttentionPass>();
}
