// Emits the primitive txc graph of a model: the Transformer as the paper
// draws it, with no fusion, for the passes to transform.
#pragma once

#include "frontend/ModelSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace txc {

// Needs a context with the txc dialects loaded (registerTxcDialects) and a
// validated spec. Returns a verified module holding @encode and @decode_step
// as ir/ModuleConventions.h describes; weights are referenced by canonical
// name (frontend/ModelWeights.h). Returns null after emitting a diagnostic
// when the module fails to verify.
mlir::OwningOpRef<mlir::ModuleOp> buildModelModule(mlir::MLIRContext &context,
                                                   const ModelSpec &spec);

} // namespace txc
