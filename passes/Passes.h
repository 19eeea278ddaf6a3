// The txc passes and the default pipeline `txc compile` runs.
#pragma once

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace txc {

std::unique_ptr<mlir::Pass> createFuseQkvPass();
std::unique_ptr<mlir::Pass> createFuseAttentionPass();
std::unique_ptr<mlir::Pass> createScheduleLayerNormPass();
std::unique_ptr<mlir::Pass> createTileFfnPass();
std::unique_ptr<mlir::Pass> createPackTokensPass();
std::unique_ptr<mlir::Pass> createFuseOutputPass();
std::unique_ptr<mlir::Pass> createFuseLinearArgmaxPass();

// Registers the txc passes (and the generic canonicalize/cse) with MLIR's
// pass registry, for txc-opt's command line.
void registerTxcPasses();

// What the pipeline needs to know of the target.
struct PipelineTarget {
  int64_t vectorWidth = 16; // floats per vector register
};

// Appends the default optimization pipeline to `pm`, leaving out the passes
// named in `disabled` (as in `--txc-<name>` without the prefix, or
// "canonicalize", "cse").
void buildDefaultPipeline(mlir::PassManager &pm,
                          const std::set<std::string> &disabled,
                          const PipelineTarget &target = {});

// The names buildDefaultPipeline knows, in pipeline order.
const std::vector<std::string> &defaultPipelinePassNames();

} // namespace txc
