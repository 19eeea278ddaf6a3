// Chooses the Halide kernel that runs each plan step, from the step's kind,
// attributes and static dims: the codegen's op -> pipeline mapping. Steps
// without a kernel stay with the runtime (gathers, layout changes, caches).
#pragma once

#include "codegen/KernelParams.h"
#include "runtime/Plan.h"

#include <map>
#include <string>
#include <vector>

namespace txc::codegen {

// A weight the compiler writes repacked: `name` in the weight file holds
// `source` [n, k] packed in panels of `panelWidth` rows (WeightPacking.h);
// `name` is packedWeightName(source, panelWidth) (WeightNames.h).
struct PackedWeight {
  std::string name;
  std::string source;
  int64_t n = 0, k = 0;
  int panelWidth = 0;
};

// The int8 screen of `source` [n, k] the compiler writes for a
// linear_argmax kernel: `name` (screenWeightName, i32 words of 4 bytes) and
// `statsName` (screenStatsName), as runtime/VocabScreen.h lays them out.
struct ScreenWeight {
  std::string name;
  std::string statsName;
  std::string source;
  int64_t n = 0, k = 0;
  int panelWidth = 0;
};

struct KernelSelection {
  // One entry per distinct kernel, by symbol (a C identifier).
  std::map<std::string, KernelSpec> kernels;
  std::vector<PackedWeight> packedWeights;
  std::vector<ScreenWeight> screenWeights;
};

// The screen whose `name` or `statsName` is `name`, or null.
const ScreenWeight *findScreenWeight(const KernelSelection &selection,
                                     const std::string &name);

// The packed weight named `name` in `selection`, or null.
const PackedWeight *findPackedWeight(const KernelSelection &selection,
                                     const std::string &name);

// Sets `kernel`, `params` and `kernelRanks` of every step of `plan` that a
// Halide kernel can run, and rewires linear weights to packed copies.
// `panelWidth` is the target's GEMM panel width, for weights the passes did
// not pack already (those keep their panels, and their linear step's
// schedule attributes tile_rows and panels_per_task become the GEMM's).
KernelSelection selectKernels(runtime::Plan &plan, int panelWidth);

} // namespace txc::codegen
