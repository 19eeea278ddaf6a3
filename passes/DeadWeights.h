// Passes that rewire ops onto new weight views (stacked, packed) leave the
// old weight reads unused; dropping them at once keeps each pass's IR dump
// showing only what the model still reads.
#pragma once

#include "mlir/IR/BuiltinOps.h"

namespace txc {

// Erases txc.weight and txc.concat_weights ops without uses in `module`.
void eraseDeadWeightReads(mlir::ModuleOp module);

} // namespace txc
