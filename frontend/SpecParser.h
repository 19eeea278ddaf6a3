// The TOML model spec (DESIGN.md, "Model spec (TOML)").
#pragma once

#include "frontend/ModelSpec.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace txc {

// Parses and validates the spec at `path`. The result obeys every rule of
// findSpecProblem, and its weightsFile is absolute (a relative weights.file
// is resolved against the spec's directory; the file is not opened here).
// Errors read `path:line:column: message`, or `path: message` when the file
// cannot be read.
llvm::Expected<ModelSpec> parseModelSpec(llvm::StringRef path);

// As parseModelSpec, for spec text already in memory; `path` names it in
// messages and anchors a relative weights.file.
llvm::Expected<ModelSpec> parseModelSpecText(llvm::StringRef text,
                                             llvm::StringRef path);

} // namespace txc
