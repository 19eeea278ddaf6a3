// Decodes one encoded batch: the search's StepModel over @decode_step (and
// its fused-output forms, when the plan has them). It keeps each layer's
// self-attention keys and values in KV caches across the steps (appended
// in place, reordered only when hypotheses change), and passes the
// encoder's cross-attention keys and values, one row per sentence, with the
// sentence of each row: no hypothesis copies them.
#pragma once

#include "runtime/PlanExecutor.h"
#include "runtime/Search.h"

#include <vector>

namespace txc::runtime {

// The executors of a plan's decoder functions: @decode_step, and the
// optional @decode_step_argmax / @decode_step_top_k (null when absent).
struct DecodeExecutors {
  PlanExecutor *logits = nullptr;
  PlanExecutor *argmax = nullptr;
  PlanExecutor *topK = nullptr;
};

class DecoderSession : public StepModel {
public:
  // `executors.logits` is required; all run functions of `model`'s plan.
  DecoderSession(DecodeExecutors executors, const ModelInfo &model);

  // Starts a batch: `encoded` are @encode's results for `srcLengths.size()`
  // sentences (memory, then cross K/V per layer), which must stay valid
  // until the batch is done; at most `rowCapacity` rows (sentences x beam)
  // and `maxLength` steps.
  Status begin(const std::vector<Binding> &encoded,
               const std::vector<int32_t> &srcLengths, int64_t rowCapacity,
               int64_t maxLength);

  bool provides(StepOutput output) const override;
  Status step(int stepIndex, const StepRows &rows, const StepRequest &request,
              std::vector<float> &values,
              std::vector<int32_t> &tokens) override;

  // Rows the self-attention caches copied since begin(), summed over them.
  int64_t cacheRowsMoved() const;

private:
  PlanExecutor *executorFor(StepOutput output) const;
  Status copyOutput(const StepRequest &request, int64_t count,
                    std::vector<float> &values, std::vector<int32_t> &tokens);

  DecodeExecutors executors;
  const ModelInfo &model;
  int64_t layers;
  std::vector<KvCache> selfCaches;     // per layer: keys, then values
  std::vector<TensorView> encodedCross; // per layer: keys, then values
  std::vector<int32_t> srcLengths;
  int64_t sentences = 0;

  std::vector<int32_t> inputTokens, rowLengths, origin, sentenceOf;
  std::vector<Binding> args, results;
};

} // namespace txc::runtime
