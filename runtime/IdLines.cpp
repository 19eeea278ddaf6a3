#include "runtime/IdLines.h"

#include <charconv>

using namespace txc::runtime;

ParsedIdLine txc::runtime::parseIdLine(std::string_view line, int64_t vocab,
                              int64_t maxIds) {
  ParsedIdLine parsed;
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  size_t pos = 0;
  while (pos < line.size()) {
    if (line[pos] == ' ' || line[pos] == '\t') {
      ++pos;
      continue;
    }
    size_t end = line.find_first_of(" \t", pos);
    if (end == std::string_view::npos)
      end = line.size();
    std::string_view token = line.substr(pos, end - pos);
    std::string column = std::to_string(pos + 1);
    int64_t id = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), id);
    if (ec != std::errc() || ptr != token.data() + token.size()) {
      parsed.error = "column " + column + ": '" + std::string(token) +
                     "' is not a token id";
      return parsed;
    }
    if (id < 0 || id >= vocab) {
      parsed.error = "column " + column + ": token id " + std::string(token) +
                     " is outside the vocabulary [0, " +
                     std::to_string(vocab) + ")";
      return parsed;
    }
    if (static_cast<int64_t>(parsed.ids.size()) == maxIds) {
      parsed.error = "more than " + std::to_string(maxIds) +
                     " ids (the model's max_positions)";
      return parsed;
    }
    parsed.ids.push_back(static_cast<int32_t>(id));
    pos = end;
  }
  return parsed;
}

std::string txc::runtime::joinIds(const std::vector<int32_t> &ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      s += ' ';
    s += std::to_string(ids[i]);
  }
  return s;
}

std::string txc::runtime::joinHypotheses(
    const std::vector<Hypothesis> &hypotheses,
    const std::function<std::string(const std::vector<int32_t> &)> &render) {
  std::string line;
  for (size_t h = 0; h < hypotheses.size(); ++h) {
    if (h)
      line += " ||| ";
    line += render ? render(hypotheses[h].ids) : joinIds(hypotheses[h].ids);
  }
  return line;
}
