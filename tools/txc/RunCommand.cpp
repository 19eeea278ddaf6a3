// `txc run --reference --ids`: translates token-id lines from stdin with the
// reference evaluator, one output line per input line.
#include "tools/txc/Commands.h"
#include "tools/txc/LoadedModel.h"

#include "ir/ReferenceDecoder.h"
#include "runtime/IdLines.h"
#include "runtime/LogitsRecorder.h"
#include "runtime/Npy.h"

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
                               const std::vector<runtime::ParsedIdLine> &lines,
                               int64_t dModel, const std::string &path) {
  size_t longest = 0;
  for (const auto &line : lines)
    if (line.ok())
      longest = std::max(longest, line.ids.size());
  std::vector<float> values(lines.size() * longest * dModel, 0.0f);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].ok() || lines[i].ids.empty())
      continue;
    auto out = decoder.encoderOutput({lines[i].ids});
    if (!out)
      return out.takeError();
    llvm::ArrayRef<float> rows = out->f32();
    std::copy(rows.begin(), rows.end(),
              values.begin() + i * longest * dModel);
  }
  runtime::Status status = runtime::writeNpyFloat32(
      path, {int64_t(lines.size()), int64_t(longest), dModel}, values.data());
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

  std::vector<runtime::ParsedIdLine> lines;
  for (std::string text; std::getline(std::cin, text);)
    lines.push_back(
        runtime::parseIdLine(text, info.sourceVocab, info.maxPositions));

  runtime::LogitsRecorder recorder(int(lines.size()), search->maxLength,
                                   int32_t(info.targetVocab));
  bool anyBad = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const runtime::ParsedIdLine &line = lines[i];
    if (!line.ok()) {
      llvm::errs() << "txc: <stdin>:" << i + 1 << ": " << line.error << "\n";
      anyBad = true;
      std::cout << "\n";
      continue;
    }
    if (line.ids.empty()) {
      std::cout << "\n";
      continue;
    }
    runtime::LogitsObserver observer;
    if (!options.dumpLogits.empty())
      observer = recorder.observer(int(i));
    auto results = (*decoder)->decode({line.ids}, *search, observer);
    if (!results)
      return reportError(results.takeError());
    std::cout << runtime::joinHypotheses(results->front().hypotheses) << "\n";
  }
  std::cout.flush();

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
  return anyBad ? 1 : 0;
}
