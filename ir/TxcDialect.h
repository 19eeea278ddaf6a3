// The txc dialect and its ops. Include this to build or inspect txc IR.
#pragma once

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/TxcDialect.h.inc"

#define GET_OP_CLASSES
#include "ir/TxcOps.h.inc"

namespace mlir {
class DialectRegistry;
}

namespace txc {
// Registers txc and the dialects txc modules use (builtin func, std return,
// arith constants).
void registerTxcDialects(mlir::DialectRegistry &registry);
} // namespace txc
