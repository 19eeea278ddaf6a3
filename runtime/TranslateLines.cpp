#include "runtime/TranslateCommand.h"

#include "runtime/IdLines.h"
#include "runtime/LogitsRecorder.h"
#include "runtime/Npy.h"
#include "runtime/SourceLines.h"

#include <istream>
#include <ostream>

namespace txc::runtime {
namespace {

bool isBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// The source ids of one line, or an error saying why the line is bad.
ParsedIdLine sourceOf(std::string_view line, const Tokenizer *tokenizer,
                      const ModelInfo &model) {
  if (!tokenizer)
    return parseIdLine(line, model.sourceVocab, model.maxPositions);
  ParsedIdLine parsed;
  if (!isValidUtf8(line)) {
    parsed.error = "invalid UTF-8";
    return parsed;
  }
  if (isBlank(line))
    return parsed;
  parsed.ids = tokenizer->encode(line);
  if (static_cast<int64_t>(parsed.ids.size()) > model.maxPositions) {
    parsed.error = std::to_string(parsed.ids.size()) +
                   " tokens with </s>, more than max_positions " +
                   std::to_string(model.maxPositions);
    parsed.ids.clear();
  }
  return parsed;
}

} // namespace

int translateLines(Translator &translator, const Tokenizer *tokenizer,
                   const TranslateCommandOptions &options, std::istream &in,
                   std::ostream &out, std::ostream &err) {
  const ModelInfo &model = translator.model();
  TranslateOptions translate = options.translate;
  if (Status s = translator.resolveOptions(translate); !s.ok()) {
    err << "translate: " << s.message() << "\n";
    return 1;
  }
  const Tokenizer *textTokenizer = options.ids ? nullptr : tokenizer;
  if (!options.ids && !tokenizer) {
    err << "translate: no tokenizer for text input; pass --ids\n";
    return 1;
  }

  SourceLines lines = readSourceLines(
      in,
      [&](std::string_view line) {
        return sourceOf(line, textTokenizer, model);
      },
      "translate", err);

  std::unique_ptr<LogitsRecorder> recorder;
  LogitsObserver observer;
  if (!options.dumpLogits.empty()) {
    recorder = std::make_unique<LogitsRecorder>(
        static_cast<int>(lines.lineCount), translate.search.maxLength,
        static_cast<int32_t>(model.targetVocab));
    LogitsObserver byLine = recorder->observer(0);
    observer = [&](int sentence, int step, int hypothesis, const float *l) {
      byLine(static_cast<int>(lines.lineOf[sentence]), step, hypothesis, l);
    };
  }

  std::vector<SentenceResult> results;
  if (Status s =
          translator.translate(lines.sources, translate, results, observer);
      !s.ok()) {
    err << "translate: " << s.message() << "\n";
    return 1;
  }
  std::function<std::string(const std::vector<int32_t> &)> render;
  if (textTokenizer)
    render = [&](const std::vector<int32_t> &ids) {
      return textTokenizer->decode(ids);
    };
  std::vector<std::string> rendered;
  for (const SentenceResult &result : results)
    rendered.push_back(joinHypotheses(result.hypotheses, render));
  writeOutputLines(lines, rendered, out);

  if (recorder) {
    if (Status s = writeNpyFloat32(options.dumpLogits, recorder->shape(),
                                   recorder->values().data());
        !s.ok()) {
      err << "translate: " << s.message() << "\n";
      return 1;
    }
  }
  return lines.anyBad ? 1 : 0;
}

} // namespace txc::runtime
