// One stored tensor per set of plan weights that hold the same data. A
// model can store one tensor under several canonical names (a shared
// embedding serves both stacks, a tied output projection is the target
// embedding); written under each name, the weight file would hold, and the
// runtime would map, one copy per name.
#pragma once

#include "codegen/KernelSelection.h"
#include "ir/WeightSource.h"
#include "runtime/Plan.h"

#include "llvm/Support/Error.h"

namespace txc::codegen {

// Needs `plan` after selectKernels, with its `selection`. Every model
// weight the plan's weight steps read (the parts of a stacked name, the
// source of a packed one) that `weights` stores as one tensor with an
// earlier one (sameStoredTensor; plan order, @encode first) is renamed to
// that earlier name, in the weight steps and in `selection`'s packed
// weights. Afterwards equal data has one name, so writePlanWeights stores
// it once and every step reading it names that one tensor. Fails, with one
// line naming it, on a weight `weights` does not hold.
llvm::Error shareStoredWeights(runtime::Plan &plan, KernelSelection &selection,
                               const WeightSource &weights);

} // namespace txc::codegen
