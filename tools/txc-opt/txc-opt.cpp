// txc-opt: parses, verifies, transforms and prints txc modules, like mlir-opt.
#include "ir/TxcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Dialect.h"
#include "mlir/Support/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  txc::registerTxcDialects(registry);
  txc::registerTxcPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "txc modular optimizer driver\n", registry));
}
