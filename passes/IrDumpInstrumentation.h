// Writes the module after every pass into a directory, numbered and named by
// pass (`00-input.mlir`, `01-canonicalize.mlir`, ...), so a user can diff
// what each pass did.
#pragma once

#include "mlir/Pass/PassInstrumentation.h"

#include <string>

namespace mlir {
class ModuleOp;
}

namespace txc {

class IrDumpInstrumentation : public mlir::PassInstrumentation {
public:
  // `dir` must exist. `withLocations` prints each op's model-part location.
  IrDumpInstrumentation(std::string dir, bool withLocations)
      : dir(std::move(dir)), withLocations(withLocations) {}

  // Writes `module` as the pipeline's input (number 00).
  void dumpInput(mlir::ModuleOp module);
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override;

private:
  void write(mlir::Operation *op, const std::string &stem);

  std::string dir;
  bool withLocations;
  unsigned counter = 0;
};

} // namespace txc
