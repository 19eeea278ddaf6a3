#include "runtime/LogitsRecorder.h"

#include <algorithm>

namespace txc::runtime {

LogitsRecorder::LogitsRecorder(int lines, int steps, int32_t vocab)
    : lines(std::max(lines, 0)), steps(std::max(steps, 0)),
      vocab(std::max<int32_t>(vocab, 0)),
      data(static_cast<size_t>(this->lines * this->steps * this->vocab), 0.f) {}

LogitsObserver LogitsRecorder::observer(int firstLine) {
  return [this, firstLine](int sentence, int step, int hypothesis,
                           const float *logits) {
    int64_t line = int64_t(firstLine) + sentence;
    if (hypothesis != 0 || line < 0 || line >= lines || step < 0 ||
        step >= steps)
      return;
    std::copy(logits, logits + vocab,
              data.begin() + (line * steps + step) * vocab);
  };
}

} // namespace txc::runtime
