// Messages for JSON that nlohmann::json rejects.
#pragma once

#include "llvm/ADT/StringRef.h"

#include <exception>
#include <string>

namespace txc {

// The exception's text without nlohmann's "[json.exception.<kind>.<id>] "
// tag, e.g. "parse error at line 1, column 6: syntax error ...".
inline std::string describeJsonError(const std::exception &e) {
  llvm::StringRef text = e.what();
  if (text.startswith("[json.exception.")) {
    size_t close = text.find("] ");
    if (close != llvm::StringRef::npos)
      text = text.drop_front(close + 2);
  }
  return text.str();
}

} // namespace txc
