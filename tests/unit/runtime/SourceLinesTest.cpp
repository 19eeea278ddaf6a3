#include "runtime/SourceLines.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace txc::runtime;

namespace {

ParsedIdLine ids(std::string_view line) { return parseIdLine(line, 10, 4); }

TEST(SourceLines, BlankAndBadLinesKeepTheirOutputLine) {
  std::istringstream in("1 2\r\n\n  \nx 3\n4 5 6\n7 8 9 1 2\n9");
  std::ostringstream err;
  SourceLines lines = readSourceLines(in, ids, "prog", err);
  EXPECT_EQ(lines.lineCount, 7u);
  EXPECT_TRUE(lines.anyBad);
  ASSERT_EQ(lines.sources.size(), 3u);
  EXPECT_EQ(lines.sources[0], (std::vector<int32_t>{1, 2})); // CR dropped
  EXPECT_EQ(lines.sources[2], (std::vector<int32_t>{9}));    // no final \n
  EXPECT_EQ(lines.lineOf, (std::vector<size_t>{0, 4, 6}));
  EXPECT_EQ(err.str(), "prog: <stdin>:4: column 1: 'x' is not a token id\n"
                       "prog: <stdin>:6: more than 4 ids (the model's max_positions)\n")
      << err.str();

  std::ostringstream out;
  writeOutputLines(lines, {"a", "b", "c"}, out);
  EXPECT_EQ(out.str(), "a\n\n\n\nb\n\nc\n");
}

TEST(SourceLines, EmptyInputHasNoLines) {
  std::istringstream in("");
  std::ostringstream err, out;
  SourceLines lines = readSourceLines(in, ids, "prog", err);
  EXPECT_EQ(lines.lineCount, 0u);
  EXPECT_FALSE(lines.anyBad);
  writeOutputLines(lines, {}, out);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "");
}

} // namespace
