// A StepModel for search tests: its logits are scripted per (sentence,
// generated prefix). Like a real decoder's KV cache it keeps each row's
// prefix between calls, reordered by `origin`, so a wrong origin shows up as
// unscripted prefixes and different results.
#pragma once

#include "runtime/Search.h"
#include "runtime/TokenSelection.h"

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace txc::runtime::testing {

// Natural logs of `probabilities`, as decoder logits.
inline std::vector<float> logsOf(const std::vector<double> &probabilities) {
  std::vector<float> out;
  for (double p : probabilities)
    out.push_back(static_cast<float>(std::log(p)));
  return out;
}

class ScriptedStepModel : public StepModel {
public:
  explicit ScriptedStepModel(std::vector<float> defaultLogits)
      : defaultLogits(std::move(defaultLogits)) {}

  void script(int sentence, std::vector<int32_t> prefix,
              std::vector<float> logits) {
    scripted[{sentence, std::move(prefix)}] = std::move(logits);
  }

  // Makes the model also answer with argmax tokens or top-k records,
  // computed from its scripted logits as the fused output ops compute them.
  void provideFusedOutputs() { fused = true; }
  bool provides(StepOutput output) const override {
    return fused || output == StepOutput::Logits;
  }

  Status step(int stepIndex, const StepRows &rows, const StepRequest &request,
              std::vector<float> &values,
              std::vector<int32_t> &tokens) override {
    requests.push_back(request);
    std::vector<float> logits;
    if (stepIndex != static_cast<int>(calls.size()))
      return Status::failure("steps out of order");
    calls.push_back(rows);
    std::vector<std::vector<int32_t>> next;
    for (size_t i = 0; i < rows.tokens.size(); ++i) {
      std::vector<int32_t> prefix;
      if (stepIndex > 0) {
        size_t from = static_cast<size_t>(rows.origin[i]);
        if (from >= prefixes.size())
          return Status::failure("origin out of range");
        if (previousSentence[from] != rows.sentence[i])
          return Status::failure("origin crosses sentences");
        prefix = prefixes[from];
        prefix.push_back(rows.tokens[i]);
      } else if (rows.origin[i] != static_cast<int32_t>(i)) {
        return Status::failure("step 0 origin is not the identity");
      }
      auto it = scripted.find({rows.sentence[i], prefix});
      const std::vector<float> &row =
          it == scripted.end() ? defaultLogits : it->second;
      logits.insert(logits.end(), row.begin(), row.end());
      next.push_back(std::move(prefix));
    }
    prefixes = std::move(next);
    previousSentence = rows.sentence;
    const int32_t vocab = static_cast<int32_t>(defaultLogits.size());
    for (size_t i = 0; i < rows.tokens.size(); ++i) {
      const float *row = logits.data() + i * vocab;
      if (request.output == StepOutput::Argmax) {
        tokens.push_back(argmaxToken(row, vocab, request.maskedToken));
      } else if (request.output == StepOutput::TopK) {
        size_t at = values.size();
        values.resize(at + 2 * request.k);
        logSoftmaxTopK(row, vocab, request.maskedToken, request.k,
                       values.data() + at);
      }
    }
    if (request.output == StepOutput::Logits)
      values.insert(values.end(), logits.begin(), logits.end());
    return Status::success();
  }

  std::vector<StepRows> calls;       // every call's rows, in order
  std::vector<StepRequest> requests; // and what each asked for

private:
  std::vector<float> defaultLogits;
  bool fused = false;
  std::map<std::pair<int, std::vector<int32_t>>, std::vector<float>> scripted;
  std::vector<std::vector<int32_t>> prefixes; // generated ids of each row
  std::vector<int32_t> previousSentence;
};

} // namespace txc::runtime::testing
