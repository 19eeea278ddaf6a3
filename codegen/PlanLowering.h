// Lowers a txc module (after the pass pipeline) to the runtime's plan: the
// ops of @encode and @decode_step in order, every value typed, every step
// still executed by the runtime itself until kernels are selected.
#pragma once

#include "runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace txc::codegen {

// Needs a verified module following ir/ModuleConventions.h. Fails naming the
// op (and its location) that has no plan equivalent.
llvm::Expected<runtime::Plan> lowerModuleToPlan(mlir::ModuleOp module);

} // namespace txc::codegen
