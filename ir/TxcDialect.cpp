#include "ir/TxcDialect.h"

#include "mlir/Dialect/Arithmetic/IR/Arithmetic.h"
#include "mlir/Dialect/StandardOps/IR/Ops.h"

#include "ir/TxcDialect.cpp.inc"

using namespace txc;

void TxcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/TxcOps.cpp.inc"
      >();
}

void txc::registerTxcDialects(mlir::DialectRegistry &registry) {
  registry.insert<TxcDialect, mlir::StandardOpsDialect,
                  mlir::arith::ArithmeticDialect>();
}
