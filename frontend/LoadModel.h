// The MODEL argument of `txc compile` / `txc run`: a TOML spec file or an HF
// Marian directory.
#pragma once

#include "frontend/ModelSpec.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace txc {

// A directory holding config.json is imported as HF Marian; any other path
// is parsed as a TOML spec. A directory without config.json is an error.
llvm::Expected<ModelSpec> loadModel(llvm::StringRef path);

} // namespace txc
