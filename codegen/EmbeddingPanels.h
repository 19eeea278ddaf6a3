// Embedding lookups that gather their rows from the GEMM panels of the same
// table. When the output projection is the target embedding (tie_output),
// the kernels read the table packed in panels (WeightPacking.h) for the
// logits GEMM, and the lookups would read it again as rows: two copies in
// the weight file and in memory. A lookup whose table has a packed copy
// reads that copy instead; its step records the layout as attribute
// `vocab` (the table's row count) on a [ceil(vocab / P), d, P] table, and
// the runtime reads row t as packed[t / P][:][t % P]
// (runtime/PanelLayout.h). The IR is unchanged; only the plan differs.
#pragma once

#include "codegen/KernelSelection.h"
#include "runtime/Plan.h"

namespace txc::codegen {

// Needs `plan` after selectKernels (and shareStoredWeights, so a shared
// encoder table is known to be the decoder's), with its `selection`. Points
// every embedding step whose table is a weight with a packed copy in
// `selection` at that copy, adding a weight step for it where the function
// has none, and drops the table's own weight step when nothing else reads
// it.
void gatherEmbeddingsFromPanels(runtime::Plan &plan,
                                const KernelSelection &selection);

} // namespace txc::codegen
