// A compiled model ready to translate: its plan, mapped weights, kernels
// and executors. Translates token-id sequences in batches of similar
// length and returns the results in input order.
#pragma once

#include "runtime/DecoderSession.h"
#include "runtime/PlanExecutor.h"
#include "runtime/Search.h"
#include "runtime/WeightFile.h"

#include <memory>
#include <string>
#include <vector>

namespace txc::runtime {

struct TranslateOptions {
  SearchOptions search; // maxLength 0 means the model's max_positions
  int batchSize = 32;   // sentences encoded and decoded together
};

// The model's files: `path` is the model directory or its weight file; the
// plan is `embeddedPlan` when not null, else plan.json in that directory;
// the weights are the plan's weights file in the directory unless `path`
// names a file. Tokenizer files are looked up in the directory.
struct ModelLocation {
  std::string directory;
  std::string weightsPath;
};

class Translator {
public:
  static Status open(const std::string &path, const KernelTable &kernels,
                     const char *embeddedPlan, ExecutorOptions options,
                     std::unique_ptr<Translator> &out);

  // A translator over a plan and weights held in memory (tests, tools);
  // the weights must outlive it.
  static Status create(Plan plan, WeightTable weights,
                       const KernelTable &kernels, ExecutorOptions options,
                       std::unique_ptr<Translator> &out);

  const ModelInfo &model() const { return plan.model; }
  // The directory the model's files were found in ("" for create()).
  const std::string &directory() const { return location.directory; }

  // Fills in the default max length and checks the options fit the model.
  Status resolveOptions(TranslateOptions &options) const;

  // Translates `sources` (token ids as the encoder takes them, EOS
  // included when the model expects it); results[i] is sources[i]'s. The
  // observer's sentence index is the index into `sources`.
  Status translate(const std::vector<std::vector<int32_t>> &sources,
                   TranslateOptions options,
                   std::vector<SentenceResult> &results,
                   const LogitsObserver &observer = {});

  // Every executor the translator built: @encode, @decode_step, then the
  // fused step functions the plan has.
  std::vector<const PlanExecutor *> executors() const;

  // The @decode_step executor's session (tests look at cache copies).
  const DecoderSession &session() const { return *decoderSession; }

private:
  Translator() = default;
  Status build(const KernelTable &kernels, ExecutorOptions options);
  // Runs @encode on the batch, in calls of similar-length sentences; the
  // results (memory unused, then cross K/V) stay valid until the next call.
  Status encodeBatch(const std::vector<std::vector<int32_t>> &sources,
                     const std::vector<size_t> &batch,
                     std::vector<Binding> &encoded);
  Status encodeGroup(const std::vector<std::vector<int32_t>> &sources,
                     const std::vector<size_t> &batch, size_t first,
                     size_t last, std::vector<Binding> &encoded);
  Status translateBatch(const std::vector<std::vector<int32_t>> &sources,
                        const std::vector<size_t> &batch,
                        const TranslateOptions &options,
                        std::vector<SentenceResult> &results,
                        const LogitsObserver &observer);

  Plan plan;
  ModelLocation location;
  std::unique_ptr<WeightFile> weightFile;
  WeightTable weights;
  std::unique_ptr<PlanExecutor> encoder, decoder;
  std::unique_ptr<PlanExecutor> decodeArgmax, decodeTopK; // when compiled
  std::unique_ptr<DecoderSession> decoderSession;
  int64_t encoderRows = 0; // padded rows per @encode call
  std::vector<int32_t> srcIds, srcLengths;
  std::vector<std::vector<float>> crossStore; // per layer K, V: see encodeBatch
};

// Where open() finds the files for `path`.
Status locateModel(const std::string &path, const std::string &weightsFile,
                   ModelLocation &location);

} // namespace txc::runtime
