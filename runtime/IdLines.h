// One line of token ids, as `translate --ids` and `txc run --ids` read
// their input and write their output.
#pragma once

#include "runtime/Search.h"

#include <cstdint>
#include <functional>
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

// The ids space-separated, as an output line writes one hypothesis.
std::string joinIds(const std::vector<int32_t> &ids);

// An output line: the hypotheses best first, each written by `render`
// (joinIds when empty), separated by " ||| ".
std::string joinHypotheses(
    const std::vector<Hypothesis> &hypotheses,
    const std::function<std::string(const std::vector<int32_t> &)> &render =
        {});

} // namespace txc::runtime
