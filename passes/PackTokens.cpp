// pack-tokens: @encode's position-wise work (linears, GEMMs, LayerNorms,
// residual adds, activations) runs on the real tokens of the batch only.
// A batch pads every source to the longest; with sources of 20 to 40 tokens
// a third of the encoder's GEMM rows would be padding. The tokens' rows are
// packed (txc.pack_rows) after the position encodings and unpacked
// (txc.unpack_rows, zero padding) where something needs the [b, s] layout:
// attention's heads and the results.
//
// Dropping padding rows is exact for every real row because nothing moves
// information from a padding position to a real one: the only ops that mix
// positions are attentions masked by @encode's %src_lengths. The pass
// checks this, and leaves the function alone otherwise (unfused attention,
// say). The rows of @encode's results past each length are padding by the
// module conventions; after this pass they hold zeros.
#include "passes/PassDetail.h"

#include "ir/ModuleConventions.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/BlockAndValueMapping.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace txc;
namespace conv = txc::conventions;

namespace {

// Ops that compute each row from the same row of their [b, s, d] operands.
bool isPositionWise(Operation *op) {
  return isa<LinearOp, GemmOp, AddOp, ScaleOp, ReluOp, GeluOp, GeluTanhOp,
             SwishOp, LayerNormOp, AddLayerNormOp>(op);
}

// The operands of a position-wise op that hold one row per position (the
// others are weights, biases and norm parameters).
OperandRange rowOperands(Operation *op) {
  bool twoRows = isa<AddOp, AddLayerNormOp>(op);
  return op->getOperands().take_front(twoRows ? 2 : 1);
}

// The values of @encode laid out as the source batch: `rows` are
// [b, s, d] (one row per source position), `heads` are [b, h, s, dh].
struct SequenceValues {
  llvm::DenseSet<Value> rows, heads;
  SmallVector<Operation *> positionWise; // in program order, results in rows
};

// Follows the source tokens through @encode. Fails when a value laid out as
// the batch reaches an op that could carry a padding row into a real one.
FailureOr<SequenceValues> traceSequence(FuncOp encode) {
  Value ids = encode.getArgument(0), lengths = encode.getArgument(1);
  SequenceValues seq;
  auto inRows = [&](Value v) { return seq.rows.contains(v); };
  auto inHeads = [&](Value v) { return seq.heads.contains(v); };
  for (Operation &op : encode.getBody().front()) {
    auto operands = op.getOperands();
    bool readsRows = llvm::any_of(operands, inRows);
    bool readsHeads = llvm::any_of(operands, inHeads);
    if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
      if (embedding.ids() == ids)
        seq.rows.insert(embedding.getResult());
      continue;
    }
    if (!readsRows && !readsHeads)
      continue;
    // Slices stay in the batch layout: fuse-qkv's slices feed split_heads,
    // and a slice of the unpacked projection is a view, not a copy.
    if (isa<SinusoidPositionsOp, LearnedPositionsOp, SliceOp>(op) &&
        inRows(op.getOperand(0)) && !readsHeads) {
      seq.rows.insert(op.getResult(0));
      continue;
    }
    if (isPositionWise(&op) && !readsHeads) {
      // Every activation operand must be rows of the same batch.
      if (!llvm::all_of(rowOperands(&op), inRows))
        return failure();
      seq.rows.insert(op.getResult(0));
      seq.positionWise.push_back(&op);
      continue;
    }
    if (auto split = dyn_cast<SplitHeadsOp>(op)) {
      seq.heads.insert(split.getResult());
      continue;
    }
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      // Self-attention over the source, masked by its lengths.
      if (!inHeads(attention.query()) || !inHeads(attention.key()) ||
          !inHeads(attention.value()) || attention.lengths() != lengths ||
          attention.key_rows())
        return failure();
      seq.heads.insert(attention.getResult());
      continue;
    }
    if (isa<MergeHeadsOp>(op) && readsHeads) {
      seq.rows.insert(op.getResult(0));
      continue;
    }
    if (isa<ReturnOp>(op))
      continue;
    return failure();
  }
  return seq;
}

// [t, d]: the packed form of a [b, s, d] type.
RankedTensorType packedType(Type rowsType) {
  auto type = rowsType.cast<RankedTensorType>();
  return RankedTensorType::get({ShapedType::kDynamicSize, type.getDimSize(2)},
                               type.getElementType());
}

void packEncoder(FuncOp encode, const SequenceValues &seq) {
  Value ids = encode.getArgument(0), lengths = encode.getArgument(1);
  llvm::DenseMap<Value, Value> packed; // [b, s, d] value -> its [t, d] rows
  auto packedOf = [&](Value v) {
    Value &p = packed[v];
    if (!p) {
      OpBuilder builder(v.getContext());
      builder.setInsertionPointAfterValue(v);
      p = builder.create<PackRowsOp>(v.getLoc(), packedType(v.getType()), v,
                                     lengths);
    }
    return p;
  };
  for (Operation *op : seq.positionWise) {
    BlockAndValueMapping operands;
    for (Value v : op->getOperands())
      if (seq.rows.contains(v))
        operands.map(v, packedOf(v));
    OpBuilder builder(op);
    Operation *rows = builder.clone(*op, operands);
    rows->getResult(0).setType(packedType(op->getResult(0).getType()));
    packed[op->getResult(0)] = rows->getResult(0);
  }
  // Last first, so each op's position-wise readers are gone and only the
  // readers that need the batch layout remain.
  for (Operation *op : llvm::reverse(seq.positionWise)) {
    Value result = op->getResult(0);
    if (!result.use_empty()) {
      Value rows = packed[result];
      OpBuilder builder(rows.getContext());
      builder.setInsertionPointAfterValue(rows);
      Value batch = builder.create<UnpackRowsOp>(
          rows.getLoc(), result.getType(), rows, lengths, ids);
      result.replaceAllUsesWith(batch);
    }
    op->erase();
  }
}

struct PackTokensPass : public PackTokensBase<PackTokensPass> {
  void runOnOperation() override {
    auto encode = getOperation().lookupSymbol<FuncOp>(conv::kEncodeFunc);
    if (!encode || encode.getNumArguments() != 2 || encode.isExternal())
      return;
    FailureOr<SequenceValues> seq = traceSequence(encode);
    if (failed(seq) || seq->positionWise.empty())
      return;
    packEncoder(encode, *seq);
  }
};

} // namespace

std::unique_ptr<Pass> txc::createPackTokensPass() {
  return std::make_unique<PackTokensPass>();
}
