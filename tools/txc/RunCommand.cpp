// `txc run --reference --ids`: translates token-id lines from stdin with the
// reference evaluator, one output line per input line.
#include "tools/txc/Commands.h"
#include "tools/txc/LoadedModel.h"

#include "ir/ReferenceDecoder.h"
#include "runtime/IdLines.h"
#include "runtime/LogitsRecorder.h"
#include "runtime/Npy.h"
#include "runtime/SourceLines.h"

#include "llvm/Support/raw_ostream.h"

#include <iostream>
#include <string>

using namespace txc;

static llvm::Error optionError(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s",
                                 message.c_str());
}

// Applies the model's limits to the decoding flags.
static llvm::Expected<runtime::SearchOptions>
searchOptionsFor(const RunOptions &options, const ModuleDecodingInfo &info) {
  runtime::SearchOptions search;
  search.beam = options.beam;
  search.minLength = options.minLength;
  search.maxLength =
      options.maxLength < 0 ? int(info.maxPositions) : options.maxLength;
  search.lengthPenalty = options.lengthPenalty;
  search.nBest = options.nBest;
  if (search.maxLength > info.maxPositions)
    return optionError("--max-length " + std::to_string(search.maxLength) +
                       " exceeds the model's max_positions (" +
                       std::to_string(info.maxPositions) + ")");
  if (search.minLength > search.maxLength)
    return optionError("--min-length " + std::to_string(search.minLength) +
                       " exceeds --max-length " +
                       std::to_string(search.maxLength));
  if (search.nBest > search.beam)
    return optionError("--n-best " + std::to_string(search.nBest) +
                       " exceeds --beam " + std::to_string(search.beam));
  if (!options.dumpLogits.empty() &&
      (search.beam != 1 || search.minLength != search.maxLength))
    return optionError("--dump-logits needs --beam 1 and --min-length equal "
                       "to --max-length");
  return search;
}

// Writes the encoder output of each line into [lines, longest, d_model],
// zeros past each line's length and for empty or bad lines.
static llvm::Error dumpEncoder(ReferenceDecoder &decoder,
                               const runtime::SourceLines &lines,
                               int64_t dModel, const std::string &path) {
  size_t longest = 0;
  for (const auto &ids : lines.sources)
    longest = std::max(longest, ids.size());
  std::vector<float> values(lines.lineCount * longest * dModel, 0.0f);
  for (size_t k = 0; k < lines.sources.size(); ++k) {
    auto out = decoder.encoderOutput({lines.sources[k]});
    if (!out)
      return out.takeError();
    llvm::ArrayRef<float> rows = out->f32();
    std::copy(rows.begin(), rows.end(),
              values.begin() + lines.lineOf[k] * longest * dModel);
  }
  runtime::Status status = runtime::writeNpyFloat32(
      path, {int64_t(lines.lineCount), int64_t(longest), dModel},
      values.data());
  if (!status.ok())
    return optionError(status.message());
  return llvm::Error::success();
}

int txc::runReferenceCommand(const RunOptions &options) {
  mlir::MLIRContext context;
  auto model = loadModelAndBuildGraph(context, options.model);
  if (!model)
    return reportError(model.takeError());
  auto decoder = ReferenceDecoder::create(*model->module, *model->weights);
  if (!decoder)
    return reportError(decoder.takeError());
  const ModuleDecodingInfo &info = (*decoder)->info();
  auto search = searchOptionsFor(options, info);
  if (!search)
    return reportError(search.takeError());

  runtime::SourceLines lines = runtime::readSourceLines(
      std::cin,
      [&](std::string_view text) {
        return runtime::parseIdLine(text, info.sourceVocab, info.maxPositions);
      },
      "txc", std::cerr);

  // The reference decodes one sentence at a time: each alone is what the
  // batched translator must match.
  runtime::LogitsRecorder recorder(int(lines.lineCount), search->maxLength,
                                   int32_t(info.targetVocab));
  std::vector<std::string> rendered;
  for (size_t k = 0; k < lines.sources.size(); ++k) {
    runtime::LogitsObserver observer;
    if (!options.dumpLogits.empty())
      observer = recorder.observer(int(lines.lineOf[k]));
    auto results = (*decoder)->decode({lines.sources[k]}, *search, observer);
    if (!results)
      return reportError(results.takeError());
    rendered.push_back(runtime::joinHypotheses(results->front().hypotheses));
  }
  runtime::writeOutputLines(lines, rendered, std::cout);

  if (!options.dumpLogits.empty()) {
    runtime::Status status = runtime::writeNpyFloat32(
        options.dumpLogits, recorder.shape(), recorder.values().data());
    if (!status.ok())
      return reportError(optionError(status.message()));
  }
  if (!options.dumpEncoder.empty())
    if (llvm::Error err = dumpEncoder(**decoder, lines,
                                      model->spec.dModel, options.dumpEncoder))
      return reportError(std::move(err));
  return lines.anyBad ? 1 : 0;
}
