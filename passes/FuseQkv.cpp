// fuse-qkv: the Q, K and V projections of one input (self-attention), or the
// K and V projections of the encoder output (cross-attention), become one
// linear over their stacked weights, then a slice per projection. One GEMM
// with N = 3d reads the input once and keeps the kernel's tiles full.
#include "passes/DeadWeights.h"
#include "passes/PassDetail.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringRef.h"

using namespace mlir;
using namespace txc;

namespace {

// The projections found for one (input, attention prefix) pair, indexed
// q = 0, k = 1, v = 2.
struct ProjectionGroup {
  LinearOp members[3] = {};
  int count() const {
    return int(bool(members[0])) + bool(members[1]) + bool(members[2]);
  }
};

// "decoder.layers.0.self_attn.k_proj.weight" -> ("decoder.layers.0.self_attn", 1).
bool splitProjectionName(StringRef name, StringRef &prefix, int &which) {
  if (!name.consume_back("_proj.weight") || name.size() < 2)
    return false;
  char last = name.back();
  which = last == 'q' ? 0 : last == 'k' ? 1 : last == 'v' ? 2 : -1;
  name = name.drop_back();
  if (which < 0 || !name.consume_back("."))
    return false;
  prefix = name;
  return true;
}

StringAttr weightName(Value v) {
  if (auto w = v.getDefiningOp<WeightOp>())
    return w.nameAttr();
  return {};
}

void fuseGroup(ProjectionGroup &group) {
  SmallVector<LinearOp> members;
  for (LinearOp op : group.members)
    if (op)
      members.push_back(op);
  Operation *first = members.front();
  for (LinearOp op : members)
    if (op->isBeforeInBlock(first))
      first = op;
  OpBuilder b(first);
  Location loc = first->getLoc();

  bool withBias = llvm::all_of(members, [](LinearOp op) {
    return op.bias() && weightName(op.bias());
  });
  SmallVector<Attribute> weights, biases;
  int64_t rows = 0, k = 0;
  SmallVector<int64_t> sizes;
  for (LinearOp op : members) {
    auto w = op.weight().getType().cast<RankedTensorType>();
    weights.push_back(weightName(op.weight()));
    if (withBias)
      biases.push_back(weightName(op.bias()));
    sizes.push_back(w.getDimSize(0));
    rows += w.getDimSize(0);
    k = w.getDimSize(1);
  }
  Type f32 = b.getF32Type();
  Value weight = b.create<ConcatWeightsOp>(
      loc, RankedTensorType::get({rows, k}, f32), b.getArrayAttr(weights));
  Value bias = withBias ? b.create<ConcatWeightsOp>(
                              loc, RankedTensorType::get({rows}, f32),
                              b.getArrayAttr(biases))
                        : Value();
  auto inputType = members.front().input().getType().cast<RankedTensorType>();
  SmallVector<int64_t> shape(inputType.getShape().begin(),
                             inputType.getShape().end());
  shape.back() = rows;
  Value fused = b.create<LinearOp>(loc, RankedTensorType::get(shape, f32),
                                   members.front().input(), weight, bias);
  int64_t offset = 0;
  SmallVector<Value> slices;
  for (auto [op, size] : llvm::zip(members, sizes)) {
    slices.push_back(b.create<SliceOp>(op.getLoc(), op.getType(), fused,
                                       b.getI64IntegerAttr(offset),
                                       b.getI64IntegerAttr(size)));
    offset += size;
  }
  // Erase only after building: the builder inserts before the first member.
  for (auto [op, slice] : llvm::zip(members, slices)) {
    op.getResult().replaceAllUsesWith(slice);
    op->erase();
  }
}

struct FuseQkvPass : public FuseQkvBase<FuseQkvPass> {
  void runOnOperation() override {
    llvm::MapVector<std::pair<Value, StringRef>, ProjectionGroup> groups;
    getOperation().walk([&](LinearOp op) {
      StringAttr name = weightName(op.weight());
      StringRef prefix;
      int which;
      if (name && splitProjectionName(name.getValue(), prefix, which))
        groups[{op.input(), prefix}].members[which] = op;
    });
    for (auto &entry : groups)
      if (entry.second.count() >= 2)
        fuseGroup(entry.second);
    eraseDeadWeightReads(getOperation());
  }
};

} // namespace

std::unique_ptr<Pass> txc::createFuseQkvPass() {
  return std::make_unique<FuseQkvPass>();
}
