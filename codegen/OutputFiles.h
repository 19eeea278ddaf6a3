// Small helpers for the files `txc compile` writes: paths inside the output
// directory and the one-line errors about them.
#pragma once

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Path.h"

#include <string>

namespace txc::codegen {

// `dir`/`name`, with the platform's separator.
inline std::string joinPath(const std::string &dir, const std::string &name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

// An error carrying `message` as its one line.
inline llvm::Error outputError(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s",
                                 message.c_str());
}

} // namespace txc::codegen
