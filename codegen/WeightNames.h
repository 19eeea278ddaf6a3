// Names of the tensors a compiled model's weight file holds beyond the
// model's own weights, as its plan's weight steps spell them:
//   "a+b+c"         the rows of a, b and c stacked (txc.concat_weights),
//   "<src>@panels<P>" <src> (a name or a stacked list) packed in panels of P
//                   rows for the GEMM (txc.packed_weight, WeightPacking.h),
//   "<src>@screen<P>" and "<src>@screen_stats"
//                   the int8 screen of <src> in panels of P rows and its
//                   row stats (runtime/VocabScreen.h), for linear_argmax.
// Model weight names contain neither '+' nor '@'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace txc::codegen {

inline constexpr char kStackedWeightSeparator = '+';

// "a+b+c" for {a, b, c}.
inline std::string stackedWeightName(const std::vector<std::string> &names) {
  std::string joined;
  for (const std::string &name : names) {
    if (!joined.empty())
      joined += kStackedWeightSeparator;
    joined += name;
  }
  return joined;
}

// {a, b, c} for "a+b+c"; {a} for a plain name.
inline std::vector<std::string> stackedWeightParts(const std::string &name) {
  std::vector<std::string> parts(1);
  for (char c : name) {
    if (c == kStackedWeightSeparator)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

inline std::string packedWeightName(const std::string &source,
                                    int64_t panelWidth) {
  return source + "@panels" + std::to_string(panelWidth);
}

inline std::string screenWeightName(const std::string &source,
                                    int64_t panelWidth) {
  return source + "@screen" + std::to_string(panelWidth);
}

inline std::string screenStatsName(const std::string &source) {
  return source + "@screen_stats";
}

// The source of `name` when it is packedWeightName(source, panelWidth).
inline std::optional<std::string>
packedWeightSource(const std::string &name, int64_t panelWidth) {
  std::string suffix = packedWeightName("", panelWidth);
  if (name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  return name.substr(0, name.size() - suffix.size());
}

} // namespace txc::codegen
