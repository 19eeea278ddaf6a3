#include "runtime/Translator.h"

#include "runtime/PlanVerifier.h"

#include <algorithm>
#include <numeric>
#include <sys/stat.h>

namespace txc::runtime {

static std::string parentDirectory(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status locateModel(const std::string &path, const std::string &weightsFile,
                   ModelLocation &location) {
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0)
    return Status::failure(path + ": no such model directory or weight file");
  if (S_ISDIR(st.st_mode)) {
    location.directory = path;
    location.weightsPath = path + "/" + weightsFile;
  } else {
    location.directory = parentDirectory(path);
    location.weightsPath = path;
  }
  return Status::success();
}

Status Translator::open(const std::string &path, const KernelTable &kernels,
                        const char *embeddedPlan, ExecutorOptions options,
                        std::unique_ptr<Translator> &out) {
  std::unique_ptr<Translator> t(new Translator());
  // The plan names the weight file, so a directory is resolved in two steps.
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0)
    return Status::failure(path + ": no such model directory or weight file");
  std::string planDir = S_ISDIR(st.st_mode) ? path : parentDirectory(path);
  Status parsed = embeddedPlan
                      ? parsePlan(embeddedPlan, "the library's plan", t->plan)
                      : loadPlanFile(planDir + "/plan.json", t->plan);
  if (!parsed.ok())
    return parsed;
  if (Status s = locateModel(path, t->plan.model.weightsFile, t->location);
      !s.ok())
    return s;
  if (Status s = WeightFile::open(t->location.weightsPath, t->weightFile);
      !s.ok())
    return s;
  if (Status s = checkWeightsMatchPlan(*t->weightFile, t->plan); !s.ok())
    return s;
  t->weights = t->weightFile->tensors();
  if (Status s = t->build(kernels, options); !s.ok())
    return s;
  out = std::move(t);
  return Status::success();
}

Status Translator::create(Plan plan, WeightTable weights,
                          const KernelTable &kernels, ExecutorOptions options,
                          std::unique_ptr<Translator> &out) {
  std::unique_ptr<Translator> t(new Translator());
  if (Status s = verifyPlan(plan, "plan"); !s.ok())
    return s;
  t->plan = std::move(plan);
  t->weights = std::move(weights);
  if (Status s = t->build(kernels, options); !s.ok())
    return s;
  out = std::move(t);
  return Status::success();
}

// Rows (sentences x padded length) per encoder call: enough for its GEMMs
// to run at full speed, few enough that the length-sorted sentences of one
// call pad little. An encoder whose position-wise ops skip the padding
// (pack-tokens) takes larger calls: one per batch on typical workloads,
// and no cross K/V to gather.
constexpr int64_t kEncoderRows = 384;
constexpr int64_t kPackedEncoderRows = 2048;

static int64_t encoderRowsPerCall(const PlanFunction &encode) {
  bool packs = std::any_of(
      encode.steps.begin(), encode.steps.end(),
      [](const PlanStep &s) { return s.kind == OpKind::PackRows; });
  return packs ? kPackedEncoderRows : kEncoderRows;
}

Status Translator::build(const KernelTable &kernels, ExecutorOptions options) {
  encoderRows = encoderRowsPerCall(plan.encode);
  if (Status s = PlanExecutor::create(plan.encode, weights, kernels, options,
                                      encoder);
      !s.ok())
    return s;
  if (Status s = PlanExecutor::create(plan.decodeStep, weights, kernels,
                                      options, decoder);
      !s.ok())
    return s;
  DecodeExecutors executors{decoder.get(), nullptr, nullptr};
  std::pair<const std::optional<PlanFunction> *, std::unique_ptr<PlanExecutor> *>
      fused[] = {{&plan.decodeArgmax, &decodeArgmax},
                 {&plan.decodeTopK, &decodeTopK}};
  for (auto &[function, executor] : fused)
    if (*function)
      if (Status s = PlanExecutor::create(**function, weights, kernels,
                                          options, *executor);
          !s.ok())
        return s;
  executors.argmax = decodeArgmax.get();
  executors.topK = decodeTopK.get();
  decoderSession = std::make_unique<DecoderSession>(executors, plan.model);
  return Status::success();
}

std::vector<const PlanExecutor *> Translator::executors() const {
  std::vector<const PlanExecutor *> all;
  for (const PlanExecutor *e :
       {encoder.get(), decoder.get(), decodeArgmax.get(), decodeTopK.get()})
    if (e)
      all.push_back(e);
  return all;
}

Status Translator::resolveOptions(TranslateOptions &options) const {
  SearchOptions &search = options.search;
  if (search.maxLength == 0)
    search.maxLength = static_cast<int>(plan.model.maxPositions);
  if (search.maxLength > plan.model.maxPositions)
    return Status::failure("max length " + std::to_string(search.maxLength) +
                           " exceeds the model's max_positions " +
                           std::to_string(plan.model.maxPositions));
  if (options.batchSize < 1)
    return Status::failure("batch size must be at least 1, got " +
                           std::to_string(options.batchSize));
  SearchConfig config{static_cast<int32_t>(plan.model.decoderStart),
                      static_cast<int32_t>(plan.model.eos),
                      static_cast<int32_t>(plan.model.targetVocab)};
  return validateSearch(config, search);
}

Status Translator::translate(const std::vector<std::vector<int32_t>> &sources,
                             TranslateOptions options,
                             std::vector<SentenceResult> &results,
                             const LogitsObserver &observer) {
  if (Status s = resolveOptions(options); !s.ok())
    return s;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (static_cast<int64_t>(sources[i].size()) > plan.model.maxPositions)
      return Status::failure("sentence " + std::to_string(i) + " has " +
                             std::to_string(sources[i].size()) +
                             " ids, more than max_positions " +
                             std::to_string(plan.model.maxPositions));
    for (int32_t id : sources[i])
      if (id < 0 || id >= plan.model.sourceVocab)
        return Status::failure("sentence " + std::to_string(i) +
                               ": token id " + std::to_string(id) +
                               " is outside the source vocabulary [0, " +
                               std::to_string(plan.model.sourceVocab) + ")");
  }
  // Longest first, so each batch pads little and the arenas reach their
  // peak size on the first batch.
  std::vector<size_t> order(sources.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return sources[a].size() > sources[b].size();
  });
  results.assign(sources.size(), SentenceResult());
  for (size_t first = 0; first < order.size(); first += options.batchSize) {
    size_t last = std::min(order.size(), first + size_t(options.batchSize));
    std::vector<size_t> batch(order.begin() + first, order.begin() + last);
    if (Status s = translateBatch(sources, batch, options, results, observer);
        !s.ok())
      return s;
  }
  return Status::success();
}

Status Translator::encodeGroup(const std::vector<std::vector<int32_t>> &sources,
                               const std::vector<size_t> &batch, size_t first,
                               size_t last, std::vector<Binding> &encoded) {
  const int64_t count = static_cast<int64_t>(last - first);
  int64_t width = 0;
  for (size_t b = first; b < last; ++b)
    width = std::max<int64_t>(width, sources[batch[b]].size());
  // Padding is by length: the pad id only fills the rectangle.
  srcIds.assign(count * width, static_cast<int32_t>(plan.model.pad));
  for (size_t b = first; b < last; ++b) {
    const std::vector<int32_t> &src = sources[batch[b]];
    std::copy(src.begin(), src.end(), srcIds.begin() + (b - first) * width);
  }
  return encoder->run(
      {Binding::ofTensor(TensorView(DType::I32, {count, width}, srcIds.data())),
       Binding::ofTensor(
           TensorView(DType::I32, {count}, srcLengths.data() + first))},
      encoded);
}

Status Translator::encodeBatch(const std::vector<std::vector<int32_t>> &sources,
                               const std::vector<size_t> &batch,
                               std::vector<Binding> &encoded) {
  const size_t count = batch.size();
  // The batch is sorted longest first: its first sentence sets the width.
  const int64_t width = std::max<int64_t>(1, srcLengths[0]);
  const size_t perCall =
      static_cast<size_t>(std::max<int64_t>(1, encoderRows / width));
  if (count <= perCall)
    return encodeGroup(sources, batch, 0, count, encoded);

  // Several calls: their cross-attention K/V ([n, H, S, Dh] each, S the
  // call's own width) are gathered into one [count, H, width, Dh] tensor per
  // layer; positions past a sentence's length are never read.
  const int64_t layers = plan.model.decoderLayers;
  crossStore.resize(2 * layers);
  std::vector<Binding> group;
  for (size_t first = 0; first < count; first += perCall) {
    size_t last = std::min(count, first + perCall);
    if (Status s = encodeGroup(sources, batch, first, last, group); !s.ok())
      return s;
    if (group.size() != static_cast<size_t>(1 + 2 * layers))
      return Status::failure("encode returned " + std::to_string(group.size()) +
                             " results, the decoder needs " +
                             std::to_string(1 + 2 * layers));
    for (int64_t i = 0; i < 2 * layers; ++i) {
      const TensorView &part = group[1 + i].tensor;
      if (part.rank() != 4)
        return Status::failure("encode result " + std::to_string(1 + i) +
                               " is " + formatDims(part.shape) +
                               ", not cross-attention K/V");
      Dims shape{int64_t(count), part.shape[1], width, part.shape[3]};
      if (first == 0)
        crossStore[i].assign(shape[0] * shape[1] * shape[2] * shape[3], 0.0f);
      TensorView whole(DType::F32, shape, crossStore[i].data());
      TensorView to = whole;
      to.shape = part.shape;
      to.data = crossStore[i].data() + first * whole.strides[0];
      copyTensor(part, to);
    }
  }
  encoded.assign(1, Binding::ofTensor(TensorView(DType::F32, {0}, nullptr)));
  for (int64_t i = 0; i < 2 * layers; ++i)
    encoded.push_back(Binding::ofTensor(TensorView(
        DType::F32,
        {int64_t(count), group[1 + i].tensor.shape[1], width,
         group[1 + i].tensor.shape[3]},
        crossStore[i].data())));
  return Status::success();
}

Status Translator::translateBatch(
    const std::vector<std::vector<int32_t>> &sources,
    const std::vector<size_t> &batch, const TranslateOptions &options,
    std::vector<SentenceResult> &results, const LogitsObserver &observer) {
  const int64_t count = static_cast<int64_t>(batch.size());
  srcLengths.resize(count);
  for (int64_t b = 0; b < count; ++b)
    srcLengths[b] = static_cast<int32_t>(sources[batch[b]].size());
  std::vector<Binding> encoded;
  if (Status s = encodeBatch(sources, batch, encoded); !s.ok())
    return s;
  const SearchOptions &search = options.search;
  if (Status s = decoderSession->begin(encoded, srcLengths,
                                       count * search.beam, search.maxLength);
      !s.ok())
    return s;
  SearchConfig config{static_cast<int32_t>(plan.model.decoderStart),
                      static_cast<int32_t>(plan.model.eos),
                      static_cast<int32_t>(plan.model.targetVocab)};
  LogitsObserver batchObserver;
  if (observer)
    batchObserver = [&](int sentence, int step, int hypothesis,
                        const float *logits) {
      observer(static_cast<int>(batch[sentence]), step, hypothesis, logits);
    };
  std::vector<SentenceResult> batchResults;
  if (Status s = searchBatch(*decoderSession, config, search,
                             static_cast<int>(count), batchResults,
                             batchObserver);
      !s.ok())
    return s;
  for (int64_t b = 0; b < count; ++b)
    results[batch[b]] = std::move(batchResults[b]);
  return Status::success();
}

} // namespace txc::runtime
