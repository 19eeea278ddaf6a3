// Parses one input line of space-separated token ids, as `translate --ids`
// and `txc run --ids` read them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace txc::runtime {

struct ParsedIdLine {
  std::vector<int32_t> ids;
  std::string error; // empty when the line is valid; otherwise what is wrong
  bool ok() const { return error.empty(); }
};

// Splits on spaces and tabs; an empty or blank line gives no ids. A token
// that is not a decimal integer, an id outside [0, vocab), or more than
// maxIds ids makes the line bad, with `error` naming the token and column.
ParsedIdLine parseIdLine(std::string_view line, int64_t vocab, int64_t maxIds);

} // namespace txc::runtime
