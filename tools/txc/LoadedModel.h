// A model read from disk and turned into its primitive txc module: the step
// both `txc compile` and `txc run` begin with.
#pragma once

#include "frontend/ModelSpec.h"
#include "frontend/ModelWeights.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace txc {

struct LoadedModel {
  ModelSpec spec;
  std::unique_ptr<ModelWeights> weights;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

// Parses the spec (or HF Marian directory) at `path`, checks every weight
// it needs, and builds the module in `context` (txc dialects loaded here).
llvm::Expected<LoadedModel> loadModelAndBuildGraph(mlir::MLIRContext &context,
                                                   llvm::StringRef path);

// Prints `err` as one `txc: ...` line on stderr; returns exit status 1.
int reportError(llvm::Error err);

} // namespace txc
