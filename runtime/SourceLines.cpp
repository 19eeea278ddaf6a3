#include "runtime/SourceLines.h"

#include <istream>
#include <ostream>

namespace txc::runtime {

SourceLines
readSourceLines(std::istream &in,
                const std::function<ParsedIdLine(std::string_view)> &parse,
                std::string_view program, std::ostream &err) {
  SourceLines lines;
  std::string line;
  while (std::getline(in, line)) {
    size_t index = lines.lineCount++;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    ParsedIdLine parsed = parse(line);
    if (!parsed.ok()) {
      err << program << ": <stdin>:" << index + 1 << ": " << parsed.error
          << "\n";
      lines.anyBad = true;
      continue;
    }
    if (parsed.ids.empty())
      continue;
    lines.sources.push_back(std::move(parsed.ids));
    lines.lineOf.push_back(index);
  }
  return lines;
}

void writeOutputLines(const SourceLines &lines,
                      const std::vector<std::string> &rendered,
                      std::ostream &out) {
  std::vector<const std::string *> byLine(lines.lineCount, nullptr);
  for (size_t k = 0; k < rendered.size() && k < lines.lineOf.size(); ++k)
    byLine[lines.lineOf[k]] = &rendered[k];
  for (const std::string *text : byLine)
    out << (text ? *text : std::string()) << "\n";
  out.flush();
}

} // namespace txc::runtime
