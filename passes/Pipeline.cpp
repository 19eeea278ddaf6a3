#include "passes/Passes.h"

#include "ir/TxcDialect.h"

#include "mlir/Transforms/Passes.h"

using namespace txc;

namespace generated {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace generated

void txc::registerTxcPasses() {
  mlir::registerTransformsPasses();
  generated::registerTxcPasses();
}

const std::vector<std::string> &txc::defaultPipelinePassNames() {
  static const std::vector<std::string> names = {
      "fuse-qkv",    "fuse-attention", "schedule-layernorm",
      "tile-ffn",    "pack-tokens",    "fuse-output",
      "fuse-linear-argmax", "canonicalize", "cse"};
  return names;
}

void txc::buildDefaultPipeline(mlir::PassManager &pm,
                               const std::set<std::string> &disabled,
                               const PipelineTarget &target) {
  auto enabled = [&](const char *name) { return !disabled.count(name); };
  // Module passes, so --dump-ir and --print-ir-after-all see each pass
  // finish on every function before the next one starts.
  mlir::OpPassManager &funcs = pm;
  if (enabled("fuse-qkv"))
    funcs.addPass(createFuseQkvPass());
  if (enabled("fuse-attention"))
    funcs.addPass(createFuseAttentionPass());
  if (enabled("schedule-layernorm")) {
    auto pass = createScheduleLayerNormPass();
    (void)pass->initializeOptions("vector-width=" +
                                  std::to_string(target.vectorWidth));
    funcs.addPass(std::move(pass));
  }
  if (enabled("tile-ffn")) {
    auto pass = createTileFfnPass();
    (void)pass->initializeOptions("vector-width=" +
                                  std::to_string(target.vectorWidth));
    funcs.addPass(std::move(pass));
  }
  if (enabled("pack-tokens"))
    funcs.addPass(createPackTokensPass());
  if (enabled("fuse-output"))
    funcs.addPass(createFuseOutputPass());
  if (enabled("fuse-linear-argmax"))
    funcs.addPass(createFuseLinearArgmaxPass());
  if (enabled("canonicalize"))
    pm.addPass(mlir::createCanonicalizerPass());
  if (enabled("cse"))
    pm.addPass(mlir::createCSEPass());
}
