#include "passes/DeadWeights.h"

#include "ir/TxcDialect.h"

using namespace mlir;

void txc::eraseDeadWeightReads(ModuleOp module) {
  SmallVector<Operation *> dead;
  module.walk([&](Operation *op) {
    if (isa<WeightOp, ConcatWeightsOp>(op) && op->use_empty())
      dead.push_back(op);
  });
  for (Operation *op : dead)
    op->erase();
}
