// The ODS-generated base classes of the txc passes. Include only from pass
// implementations.
#pragma once

#include "ir/TxcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace txc {
#define GEN_PASS_CLASSES
#include "passes/Passes.h.inc"
} // namespace txc
