// Writes the weight file a compiled model reads: every tensor its plan's
// weight steps name, repacked where the kernels want another layout.
#pragma once

#include "codegen/KernelSelection.h"
#include "ir/WeightSource.h"
#include "runtime/Plan.h"

#include "llvm/Support/Error.h"

namespace txc::codegen {

// Needs `plan` after selectKernels (so packed names resolve through
// `selection`). The file's metadata names the model, so the runtime can
// tell a weight file of another model.
llvm::Error writePlanWeights(const runtime::Plan &plan,
                             const KernelSelection &selection,
                             const WeightSource &weights,
                             const std::string &path);

} // namespace txc::codegen
