#include "frontend/LoadModel.h"

#include "frontend/MarianImporter.h"
#include "frontend/SpecParser.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace txc;

llvm::Expected<ModelSpec> txc::loadModel(llvm::StringRef path) {
  if (!llvm::sys::fs::is_directory(path))
    return parseModelSpec(path);
  llvm::SmallString<256> config(path);
  llvm::sys::path::append(config, "config.json");
  if (!llvm::sys::fs::exists(config))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "%s: directory has no config.json; a model is a TOML spec file or "
        "an HF Marian directory",
        path.str().c_str());
  return importMarianDirectory(path);
}
