#include "passes/IrDumpInstrumentation.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace txc;

void IrDumpInstrumentation::write(mlir::Operation *op,
                                  const std::string &stem) {
  llvm::SmallString<128> path(dir);
  std::string name;
  llvm::raw_string_ostream(name) << llvm::format("%02u-", counter++) << stem
                                 << ".mlir";
  llvm::sys::path::append(path, name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "txc: cannot write IR dump " << path << ": "
                 << ec.message() << "\n";
    return;
  }
  mlir::OpPrintingFlags flags;
  if (withLocations)
    flags.enableDebugInfo();
  op->print(os, flags);
  os << "\n";
}

void IrDumpInstrumentation::dumpInput(mlir::ModuleOp module) {
  write(module.getOperation(), "input");
}

void IrDumpInstrumentation::runAfterPass(mlir::Pass *pass,
                                         mlir::Operation *op) {
  // Nested passes run per function; dump the whole module so every file is
  // a complete, parseable txc module.
  mlir::Operation *root = op;
  while (root->getParentOp())
    root = root->getParentOp();
  write(root, pass->getArgument().empty() ? pass->getName().str()
                                          : pass->getArgument().str());
}
