// Decodes one encoded batch: the search's StepModel over @decode_step. It
// keeps each layer's self-attention keys and values in KV caches across the
// steps (appended in place, reordered only when hypotheses change), and
// gives each row the cross-attention keys and values of its sentence.
#pragma once

#include "runtime/PlanExecutor.h"
#include "runtime/Search.h"

#include <vector>

namespace txc::runtime {

class DecoderSession : public StepModel {
public:
  // `decodeStep` runs the plan's @decode_step of `model`.
  DecoderSession(PlanExecutor &decodeStep, const ModelInfo &model);

  // Starts a batch: `encoded` are @encode's results for `srcLengths.size()`
  // sentences (memory, then cross K/V per layer), which must stay valid
  // until the batch is done; at most `rowCapacity` rows (sentences x beam)
  // and `maxLength` steps.
  Status begin(const std::vector<Binding> &encoded,
               const std::vector<int32_t> &srcLengths, int64_t rowCapacity,
               int64_t maxLength);

  Status step(int stepIndex, const StepRows &rows,
              std::vector<float> &logits) override;

  // Rows the self-attention caches copied since begin(), summed over them.
  int64_t cacheRowsMoved() const;
  // Rows of cross-attention K/V copied since begin().
  int64_t crossRowsCopied() const { return crossCopies; }

private:
  Status bindCross(const StepRows &rows);
  float *crossData(int64_t i) {
    return reinterpret_cast<float *>(crossRows[i].data());
  }

  PlanExecutor &decoder;
  const ModelInfo &model;
  int64_t layers;
  std::vector<KvCache> selfCaches;     // per layer: keys, then values
  std::vector<TensorView> encodedCross; // per layer: keys, then values
  std::vector<Arena> crossRows; // encodedCross by row, [rows, H, S, Dh]
  std::vector<int32_t> crossSentence; // sentence each cross row holds
  std::vector<int32_t> srcLengths;
  int64_t sentences = 0, crossCopies = 0;

  std::vector<int32_t> tokens, rowLengths, origin;
  std::vector<Binding> args, results;
};

} // namespace txc::runtime
