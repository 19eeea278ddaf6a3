// Collects the decoder logits of each line's greedy path for --dump-logits:
// an array [lines, steps, vocab], zeros where a line stopped early.
#pragma once

#include "runtime/Search.h"

#include <cstdint>
#include <vector>

namespace txc::runtime {

class LogitsRecorder {
public:
  LogitsRecorder(int lines, int steps, int32_t vocab);

  // An observer for one batch whose sentence 0 is line `firstLine`. It keeps
  // each sentence's top hypothesis, which with beam 1 is its greedy path.
  LogitsObserver observer(int firstLine);

  std::vector<int64_t> shape() const { return {lines, steps, vocab}; }
  const std::vector<float> &values() const { return data; }

private:
  int64_t lines, steps, vocab;
  std::vector<float> data;
};

} // namespace txc::runtime
