#include "runtime/Search.h"

#include "runtime/LogSumExp.h"
#include "runtime/TokenSelection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace txc::runtime {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct LiveHypothesis {
  std::vector<int32_t> tokens; // generated so far, without the start token
  double score = 0;
  int32_t parentRow = 0; // row of the previous call this one continues
  int32_t row = 0;       // its row in the current call
};

struct SentenceSearch {
  std::vector<LiveHypothesis> live; // in rank order
  std::vector<Hypothesis> finished; // in finishing order
  bool done = false;
};

struct Candidate {
  double score;   // hypothesis score + token log-prob
  int hypothesis; // rank of the parent among the sentence's live ones
  int32_t token;
};

// The ranking of DESIGN.md: best score first, then (hypothesis, token).
bool ranksBefore(const Candidate &a, const Candidate &b) {
  if (a.score != b.score)
    return a.score > b.score;
  if (a.hypothesis != b.hypothesis)
    return a.hypothesis < b.hypothesis;
  return a.token < b.token;
}

std::string where(int sentence, int step) {
  return "sentence " + std::to_string(sentence) + " at step " +
         std::to_string(step);
}

// Checks one logits row and returns its log-softmax normalizer, with token
// `masked` (none when negative) left out as if its logit were -inf.
Status rowNormalizer(const float *logits, int32_t vocab, int32_t masked,
                     double &logSum, int sentence, int step) {
  float maxValue;
  if (int32_t bad = scanLogitsRow(logits, vocab, masked, maxValue); bad >= 0)
    return Status::failure("decoder logits of " + where(sentence, step) +
                           " contain NaN or +inf at token " +
                           std::to_string(bad));
  if (maxValue == -std::numeric_limits<float>::infinity())
    return Status::failure("decoder logits of " + where(sentence, step) +
                           " have no finite value");
  logSum = logSumExpRow(logits, vocab, masked, maxValue);
  return Status::success();
}

// Adds a candidate unless it is impossible (-inf).
void addCandidate(double score, int hypothesis, int32_t token,
                  std::vector<Candidate> &out) {
  if (score != kNegInf)
    out.push_back(Candidate{score, hypothesis, token});
}

// Appends the `count` best candidates of one hypothesis from its raw logits.
// Every candidate the sentence's ranking can reach is among them: a
// hypothesis contributes at most one EOS, and the search takes at most
// `beam` non-EOS candidates, so count = beam + 1. Within one hypothesis the
// log-prob orders tokens as the logit does, so tokens are picked on logits
// and only the picked ones get a score.
void appendBestCandidates(const float *logits, int32_t vocab, int32_t masked,
                          double logSum, const LiveHypothesis &hyp,
                          int hypothesis, int32_t count,
                          std::vector<TokenLogit> &best,
                          std::vector<Candidate> &out) {
  best.resize(static_cast<size_t>(count));
  int32_t found = topTokens(logits, vocab, masked, count, best.data());
  for (int32_t i = 0; i < found; ++i)
    addCandidate(hyp.score + (static_cast<double>(best[i].logit) - logSum),
                 hypothesis, best[i].token, out);
}

// The candidates of one hypothesis from `count` top-k records.
Status appendRecordCandidates(const float *records, int32_t count,
                              const LiveHypothesis &hyp, int hypothesis,
                              std::vector<Candidate> &out, int sentence,
                              int step) {
  if (count > 0 && records[1] < 0 && !std::isnan(records[0]))
    return Status::failure("decoder logits of " + where(sentence, step) +
                           " have no finite value");
  for (int32_t i = 0; i < count; ++i) {
    float logProb = records[2 * i];
    if (std::isnan(logProb))
      return Status::failure("decoder logits of " + where(sentence, step) +
                             " contain NaN or +inf");
    if (records[2 * i + 1] >= 0)
      addCandidate(hyp.score + static_cast<double>(logProb), hypothesis,
                   static_cast<int32_t>(records[2 * i + 1]), out);
  }
  return Status::success();
}

// The one candidate of a greedy hypothesis from its argmax token.
Status appendArgmaxCandidate(int32_t token, const LiveHypothesis &hyp,
                             std::vector<Candidate> &out, int sentence,
                             int step) {
  if (token == kNonFiniteLogit)
    return Status::failure("decoder logits of " + where(sentence, step) +
                           " contain NaN or +inf");
  if (token < 0)
    return Status::failure("decoder logits of " + where(sentence, step) +
                           " have no finite value");
  out.push_back(Candidate{hyp.score + std::numeric_limits<double>::quiet_NaN(),
                          0, token});
  return Status::success();
}

Hypothesis finish(std::vector<int32_t> ids, double score, int length,
                  double lengthPenalty) {
  Hypothesis h;
  h.ids = std::move(ids);
  h.score = score;
  h.length = length;
  h.normalizedScore =
      length > 0 ? score / std::pow(static_cast<double>(length), lengthPenalty)
                 : score;
  return h;
}

// Applies one step's ranked candidates to a sentence: EOS candidates within
// the first `beam` finish their hypothesis, the first `beam` non-EOS ones
// become the live hypotheses, continuing their parents' rows.
void advance(SentenceSearch &search, const std::vector<Candidate> &ranked,
             const SearchConfig &config, const SearchOptions &options,
             int generated) {
  size_t beam = static_cast<size_t>(options.beam);
  std::vector<LiveHypothesis> next;
  for (size_t rank = 0;
       rank < ranked.size() && (rank < beam || next.size() < beam); ++rank) {
    const Candidate &c = ranked[rank];
    const LiveHypothesis &parent = search.live[c.hypothesis];
    if (c.token == config.eos) {
      if (rank < beam)
        search.finished.push_back(
            finish(parent.tokens, c.score, generated, options.lengthPenalty));
      continue;
    }
    if (next.size() == beam)
      continue;
    LiveHypothesis child;
    child.tokens = parent.tokens;
    child.tokens.push_back(c.token);
    child.score = c.score;
    child.parentRow = parent.row;
    next.push_back(std::move(child));
  }
  search.live = std::move(next);
  if (search.finished.size() >= beam || search.live.empty())
    search.done = true;
}

SentenceResult result(SentenceSearch &search, const SearchOptions &options) {
  std::stable_sort(search.finished.begin(), search.finished.end(),
                   [](const Hypothesis &a, const Hypothesis &b) {
                     return a.normalizedScore > b.normalizedScore;
                   });
  if (search.finished.size() > static_cast<size_t>(options.nBest))
    search.finished.resize(options.nBest);
  SentenceResult r;
  r.hypotheses = std::move(search.finished);
  return r;
}

// Gives the sentence's live hypotheses the rows [first, first + live), each
// the row its parent had when that row is in the block and no better
// ranked sibling took it: the decoder's caches then move only the rows of
// hypotheses that changed place, not every row whose rank changed.
void placeRows(SentenceSearch &search, int32_t first) {
  const size_t n = search.live.size();
  std::vector<bool> taken(n, false);
  for (LiveHypothesis &h : search.live) {
    int64_t slot = int64_t(h.parentRow) - first;
    h.row = -1;
    if (slot >= 0 && slot < int64_t(n) && !taken[slot]) {
      taken[slot] = true;
      h.row = h.parentRow;
    }
  }
  size_t free = 0;
  for (LiveHypothesis &h : search.live) {
    if (h.row >= 0)
      continue;
    while (taken[free])
      ++free;
    taken[free] = true;
    h.row = first + static_cast<int32_t>(free);
  }
}

} // namespace

Status validateSearch(const SearchConfig &config,
                      const SearchOptions &options) {
  if (config.vocabSize < 1)
    return Status::failure("vocabulary size must be positive, got " +
                           std::to_string(config.vocabSize));
  if (config.eos < 0 || config.eos >= config.vocabSize)
    return Status::failure("eos id " + std::to_string(config.eos) +
                           " is outside the vocabulary");
  if (config.decoderStart < 0 || config.decoderStart >= config.vocabSize)
    return Status::failure("decoder start id " +
                           std::to_string(config.decoderStart) +
                           " is outside the vocabulary");
  if (options.beam < 1)
    return Status::failure("beam size must be at least 1, got " +
                           std::to_string(options.beam));
  if (options.nBest < 1 || options.nBest > options.beam)
    return Status::failure("n-best must be in [1, beam], got " +
                           std::to_string(options.nBest));
  if (options.minLength < 0)
    return Status::failure("min length must not be negative, got " +
                           std::to_string(options.minLength));
  if (options.maxLength < 0)
    return Status::failure("max length must not be negative, got " +
                           std::to_string(options.maxLength));
  if (!std::isfinite(options.lengthPenalty))
    return Status::failure("length penalty must be finite");
  return Status::success();
}

Status searchBatch(StepModel &model, const SearchConfig &config,
                   const SearchOptions &options, int sentences,
                   std::vector<SentenceResult> &results,
                   const LogitsObserver &observer) {
  if (Status s = validateSearch(config, options); !s.ok())
    return s;
  if (sentences < 0)
    return Status::failure("sentence count must not be negative");

  std::vector<SentenceSearch> searches(sentences);
  for (int s = 0; s < sentences; ++s) {
    LiveHypothesis start;
    start.parentRow = s;
    searches[s].live.push_back(std::move(start));
  }

  const size_t vocab = static_cast<size_t>(config.vocabSize);
  const int32_t perHypothesis = options.beam + 1;
  StepRequest request;
  if (!observer && options.beam == 1 && model.provides(StepOutput::Argmax))
    request.output = StepOutput::Argmax;
  else if (!observer && model.provides(StepOutput::TopK))
    request = StepRequest{StepOutput::TopK, perHypothesis, -1};
  const size_t valuesPerRow = request.output == StepOutput::Logits ? vocab
                              : request.output == StepOutput::TopK
                                  ? 2 * static_cast<size_t>(perHypothesis)
                                  : 0;
  StepRows rows;
  std::vector<int> stepSentences; // the sentences of this step's rows
  std::vector<float> values;
  std::vector<int32_t> tokens;
  std::vector<Candidate> candidates;
  std::vector<TokenLogit> best;
  for (int step = 0; step < options.maxLength; ++step) {
    // Each live sentence's hypotheses take a block of rows, in sentence
    // order; within a block, placeRows decides who sits where.
    stepSentences.clear();
    int32_t rowCount = 0;
    for (int s = 0; s < sentences; ++s) {
      if (searches[s].done)
        continue;
      stepSentences.push_back(s);
      placeRows(searches[s], rowCount);
      rowCount += static_cast<int32_t>(searches[s].live.size());
    }
    if (rowCount == 0)
      break;
    rows.tokens.resize(rowCount);
    rows.origin.resize(rowCount);
    rows.sentence.resize(rowCount);
    for (int s : stepSentences)
      for (const LiveHypothesis &h : searches[s].live) {
        rows.tokens[h.row] =
            h.tokens.empty() ? config.decoderStart : h.tokens.back();
        rows.origin[h.row] = h.parentRow;
        rows.sentence[h.row] = s;
      }

    int32_t masked = step < options.minLength ? config.eos : -1;
    request.maskedToken = masked;
    values.clear();
    tokens.clear();
    if (Status s = model.step(step, rows, request, values, tokens); !s.ok())
      return s;
    size_t got = request.output == StepOutput::Argmax ? tokens.size()
                                                      : values.size();
    size_t want = size_t(rowCount) * (request.output == StepOutput::Argmax
                                  ? 1
                                  : valuesPerRow);
    if (got != want)
      return Status::failure("decoder step " + std::to_string(step) +
                             " returned " + std::to_string(got) +
                             " values for " + std::to_string(rowCount) +
                             " rows; the search expects " +
                             std::to_string(want));

    for (int s : stepSentences) {
      SentenceSearch &search = searches[s];
      candidates.clear();
      for (size_t h = 0; h < search.live.size(); ++h) {
        const LiveHypothesis &hyp = search.live[h];
        const size_t row = static_cast<size_t>(hyp.row);
        const int hypothesis = static_cast<int>(h);
        Status st = Status::success();
        if (request.output == StepOutput::Argmax) {
          st = appendArgmaxCandidate(tokens[row], hyp, candidates, s, step);
        } else if (request.output == StepOutput::TopK) {
          st = appendRecordCandidates(values.data() + row * valuesPerRow,
                                      perHypothesis, hyp, hypothesis,
                                      candidates, s, step);
        } else {
          const float *rowLogits = values.data() + row * vocab;
          if (observer)
            observer(s, step, hypothesis, rowLogits);
          double logSum = 0;
          st = rowNormalizer(rowLogits, config.vocabSize, masked, logSum, s,
                             step);
          if (st.ok())
            appendBestCandidates(rowLogits, config.vocabSize, masked, logSum,
                                 hyp, hypothesis, perHypothesis, best,
                                 candidates);
        }
        if (!st.ok())
          return st;
      }
      std::sort(candidates.begin(), candidates.end(), ranksBefore);
      advance(search, candidates, config, options, step + 1);
    }
  }

  results.clear();
  results.reserve(sentences);
  for (SentenceSearch &search : searches) {
    if (!search.done)
      for (LiveHypothesis &h : search.live)
        search.finished.push_back(finish(std::move(h.tokens), h.score,
                                         options.maxLength,
                                         options.lengthPenalty));
    results.push_back(result(search, options));
  }
  return Status::success();
}

} // namespace txc::runtime
