#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace txc;

void txc::registerTxcPasses() { mlir::registerTransformsPasses(); }

const std::vector<std::string> &txc::defaultPipelinePassNames() {
  static const std::vector<std::string> names = {"canonicalize", "cse"};
  return names;
}

void txc::buildDefaultPipeline(mlir::PassManager &pm,
                               const std::set<std::string> &disabled) {
  auto enabled = [&](const char *name) { return !disabled.count(name); };
  if (enabled("canonicalize"))
    pm.addPass(mlir::createCanonicalizerPass());
  if (enabled("cse"))
    pm.addPass(mlir::createCSEPass());
}
