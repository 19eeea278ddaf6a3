// The input side of `translate` and `txc run`: which lines of stdin are
// sentences to translate, and the one output line each input line gets.
#pragma once

#include "runtime/IdLines.h"

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace txc::runtime {

struct SourceLines {
  size_t lineCount = 0;                      // lines read
  std::vector<std::vector<int32_t>> sources; // each valid, non-blank line
  std::vector<size_t> lineOf;                // its input line, from 0
  bool anyBad = false;                       // a line was reported bad
};

// Reads `in` to its end, dropping a trailing '\r' from each line. `parse`
// turns a line into ids; a bad line is reported on `err` as
// "<program>: <stdin>:N: <what is wrong>" and, like a blank line, yields
// no source.
SourceLines
readSourceLines(std::istream &in,
                const std::function<ParsedIdLine(std::string_view)> &parse,
                std::string_view program, std::ostream &err);

// Writes one line per input line: rendered[k] on line lineOf[k], empty
// lines for blank and bad ones. `rendered` has one entry per source.
void writeOutputLines(const SourceLines &lines,
                      const std::vector<std::string> &rendered,
                      std::ostream &out);

} // namespace txc::runtime
