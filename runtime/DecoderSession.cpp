#include "runtime/DecoderSession.h"

#include <cstring>

namespace txc::runtime {

DecoderSession::DecoderSession(DecodeExecutors executors,
                               const ModelInfo &model)
    : executors(executors), model(model), layers(model.decoderLayers),
      selfCaches(2 * model.decoderLayers) {}

Status DecoderSession::begin(const std::vector<Binding> &encoded,
                             const std::vector<int32_t> &lengths,
                             int64_t rowCapacity, int64_t maxLength) {
  if (encoded.size() != static_cast<size_t>(1 + 2 * layers))
    return Status::failure("encode returned " + std::to_string(encoded.size()) +
                           " results, the decoder needs " +
                           std::to_string(1 + 2 * layers));
  sentences = static_cast<int64_t>(lengths.size());
  srcLengths = lengths;
  encodedCross.clear();
  for (int64_t i = 0; i < 2 * layers; ++i) {
    const TensorView &t = encoded[1 + i].tensor;
    if (t.rank() != 4 || t.shape[0] != sentences ||
        t.shape[1] != model.heads || t.shape[3] != model.headDim)
      return Status::failure("encode result " + std::to_string(1 + i) +
                             " is " + formatDims(t.shape) +
                             ", not cross-attention K/V of " +
                             std::to_string(sentences) + " sentences");
    encodedCross.push_back(t);
  }
  for (KvCache &cache : selfCaches)
    if (Status s = cache.reset(sentences, rowCapacity, model.heads, maxLength,
                               model.headDim);
        !s.ok())
      return s;
  return Status::success();
}

int64_t DecoderSession::cacheRowsMoved() const {
  int64_t n = 0;
  for (const KvCache &c : selfCaches)
    n += c.rowsMoved();
  return n;
}


PlanExecutor *DecoderSession::executorFor(StepOutput output) const {
  switch (output) {
  case StepOutput::Logits: return executors.logits;
  case StepOutput::Argmax: return executors.argmax;
  case StepOutput::TopK: return executors.topK;
  }
  return nullptr;
}

bool DecoderSession::provides(StepOutput output) const {
  return executorFor(output) != nullptr;
}

Status DecoderSession::step(int stepIndex, const StepRows &rows,
                            const StepRequest &request,
                            std::vector<float> &values,
                            std::vector<int32_t> &tokens) {
  PlanExecutor *decoder = executorFor(request.output);
  if (!decoder)
    return Status::failure("the plan has no decoder function for this output");
  const int64_t count = static_cast<int64_t>(rows.tokens.size());
  if (layers > 0 && selfCaches[0].length() != stepIndex)
    return Status::failure("decoder step " + std::to_string(stepIndex) +
                           " after " + std::to_string(selfCaches[0].length()) +
                           " cached positions");
  if (rows.origin.size() != rows.tokens.size() ||
      rows.sentence.size() != rows.tokens.size())
    return Status::failure("decoder step rows disagree: " +
                           std::to_string(count) + " tokens, " +
                           std::to_string(rows.origin.size()) + " origins, " +
                           std::to_string(rows.sentence.size()) + " sentences");
  inputTokens.assign(rows.tokens.begin(), rows.tokens.end());
  origin.assign(rows.origin.begin(), rows.origin.end());
  sentenceOf.assign(rows.sentence.begin(), rows.sentence.end());
  rowLengths.resize(count);
  for (int64_t r = 0; r < count; ++r) {
    int32_t s = rows.sentence[r];
    if (s < 0 || s >= sentences)
      return Status::failure("row " + std::to_string(r) + " names sentence " +
                             std::to_string(s) + " of " +
                             std::to_string(sentences));
    rowLengths[r] = srcLengths[s];
  }
  args.clear();
  args.push_back(Binding::ofTensor(TensorView(DType::I32, {count, 1}, inputTokens.data())));
  args.push_back(Binding::ofIndex(stepIndex));
  args.push_back(Binding::ofTensor(TensorView(DType::I32, {count}, rowLengths.data())));
  args.push_back(Binding::ofTensor(TensorView(DType::I32, {count}, origin.data())));
  args.push_back(Binding::ofTensor(TensorView(DType::I32, {count}, sentenceOf.data())));
  for (KvCache &cache : selfCaches)
    args.push_back(Binding::ofCache(cache));
  // Every row reads its sentence's cross K/V where the encoder left them.
  for (const TensorView &cross : encodedCross)
    args.push_back(Binding::ofTensor(cross));
  if (request.output == StepOutput::TopK)
    args.push_back(Binding::ofIndex(request.k));
  if (request.output != StepOutput::Logits)
    args.push_back(Binding::ofIndex(request.maskedToken));

  if (Status s = decoder->run(args, results); !s.ok())
    return s;
  if (Status s = copyOutput(request, count, values, tokens); !s.ok())
    return s;
  for (int64_t i = 0; i < 2 * layers; ++i) {
    const Binding &r = results[1 + i];
    // A cache a kernel produced elsewhere is copied into the cache storage.
    if (r.cache != &selfCaches[i] || r.tensor.shape != selfCaches[i].view().shape)
      if (Status s = selfCaches[i].assign(r.tensor); !s.ok())
        return s;
  }
  return Status::success();
}

Status DecoderSession::copyOutput(const StepRequest &request, int64_t count,
                                  std::vector<float> &values,
                                  std::vector<int32_t> &tokens) {
  const TensorView &out = results[0].tensor;
  Dims want{count, 1};
  if (request.output == StepOutput::Logits)
    want.push_back(model.targetVocab);
  else if (request.output == StepOutput::TopK)
    want.insert(want.end(), {int64_t(request.k), 2});
  if (out.shape != want)
    return Status::failure("the decoder step returned " +
                           formatDims(out.shape) + " where the search needs " +
                           formatDims(want));
  if (request.output == StepOutput::Argmax) {
    tokens.resize(out.numel());
    copyToDense(out, tokens.data());
  } else {
    values.resize(out.numel());
    copyToDense(out, values.data());
  }
  return Status::success();
}

} // namespace txc::runtime
