// The txc passes and the default pipeline `txc compile` runs.
#pragma once

#include "mlir/Pass/PassManager.h"

#include <set>
#include <string>

namespace txc {

// Registers the txc passes (and the generic canonicalize/cse they rely on)
// with MLIR's pass registry, for txc-opt's command line.
void registerTxcPasses();

// Appends the default optimization pipeline to `pm`, leaving out the passes
// whose names (as in `--txc-<name>` without the prefix, or "canonicalize",
// "cse") are in `disabled`.
void buildDefaultPipeline(mlir::PassManager &pm,
                          const std::set<std::string> &disabled);

// The names buildDefaultPipeline knows, in pipeline order.
const std::vector<std::string> &defaultPipelinePassNames();

} // namespace txc
