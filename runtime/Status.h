// The outcome of a runtime call. The runtime reports errors as values (no
// exceptions cross its boundary), so it can sit behind a C API.
#pragma once

#include <string>
#include <utility>

namespace txc::runtime {

class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status failure(std::string message) {
    Status s;
    s.failed = true;
    s.text = std::move(message);
    return s;
  }

  bool ok() const { return !failed; }
  // One line saying what went wrong; empty when ok().
  const std::string &message() const { return text; }

private:
  Status() = default;
  bool failed = false;
  std::string text;
};

} // namespace txc::runtime
