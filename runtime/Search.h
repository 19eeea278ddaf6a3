// Greedy and beam search over a batch of sentences, following the decoding
// rules of DESIGN.md exactly so results can be compared id for id with an
// independent implementation. The decoder itself is behind StepModel: the
// reference evaluator and compiled code both implement it.
#pragma once

#include "runtime/Status.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace txc::runtime {

// Token ids and vocabulary size of the model being decoded.
struct SearchConfig {
  int32_t decoderStart = 0;
  int32_t eos = 0;
  int32_t vocabSize = 0;
};

struct SearchOptions {
  int beam = 4; // 1 is greedy search
  int minLength = 0;
  int maxLength = 0; // the driver defaults it to the model's max_positions
  double lengthPenalty = 1.0;
  int nBest = 1; // hypotheses returned per sentence, in [1, beam]
};

struct Hypothesis {
  std::vector<int32_t> ids;   // generated ids, without the start token and EOS
  double score = 0;           // sum of the token log-probs, EOS included
  int length = 0;             // tokens incl. EOS, or maxLength if cut off
  double normalizedScore = 0; // score / length^lengthPenalty
};

struct SentenceResult {
  // Best first by normalizedScore, earliest finished first on ties; at most
  // nBest entries (empty only if no token had a finite log-prob).
  std::vector<Hypothesis> hypotheses;
};

// The live rows of one decoder call, one per hypothesis, grouped by sentence
// in sentence order. Within a sentence's rows a hypothesis keeps its
// parent's row when it can, so that few cache rows move.
struct StepRows {
  std::vector<int32_t> tokens;   // the token each row feeds the decoder
  std::vector<int32_t> origin;   // the row of the previous call it continues
                                 // (step 0: row i = sentence i, identity)
  std::vector<int32_t> sentence; // its sentence's index in the batch
};

// What a decoder call gives the search for each row.
enum class StepOutput : uint8_t {
  Logits, // `values`: vocabSize raw logits per row
  Argmax, // `tokens`: one id per row, as argmaxToken (TokenSelection.h)
          // returns it; greedy search needs nothing else
  TopK,   // `values`: k records (log-prob, token id) per row, as
          // logSoftmaxTopK (TokenSelection.h) writes them
};

struct StepRequest {
  StepOutput output = StepOutput::Logits;
  int32_t k = 0;            // TopK: records per row
  int32_t maskedToken = -1; // Argmax, TopK: the token counted as -inf
};

class StepModel {
public:
  virtual ~StepModel() = default;
  // Whether step() can produce `output`; every model produces Logits.
  virtual bool provides(StepOutput output) const {
    return output == StepOutput::Logits;
  }
  // Runs the decoder for `rows` at position `stepIndex` and fills `values`
  // or `tokens`, row-major, as `request.output` says. Caches kept between
  // calls are first reordered so row i continues the previous call's row
  // rows.origin[i]; finished sentences have left, so rows shrink.
  virtual Status step(int stepIndex, const StepRows &rows,
                      const StepRequest &request, std::vector<float> &values,
                      std::vector<int32_t> &tokens) = 0;
};

// Sees the raw logits (before EOS masking) of each row: `hypothesis` is the
// row's rank within `sentence` at `step`; `logits` has vocabSize values.
using LogitsObserver = std::function<void(int sentence, int step,
                                          int hypothesis, const float *logits)>;

// Checks the options and config are usable together.
Status validateSearch(const SearchConfig &config, const SearchOptions &options);

// Decodes `sentences` sentences, calling `model` once per step for all live
// rows; fills `results` with one entry per sentence. The model is asked for
// argmax tokens (greedy) or top-k records (beam) when it provides them and
// no observer wants raw logits. Greedy hypotheses chosen by argmax have a
// NaN score: no softmax is computed for them. Fails if the options
// are invalid, the model fails, or it returns NaN/+inf logits or the wrong
// number of them.
Status searchBatch(StepModel &model, const SearchConfig &config,
                   const SearchOptions &options, int sentences,
                   std::vector<SentenceResult> &results,
                   const LogitsObserver &observer = {});

} // namespace txc::runtime
