#include "runtime/TranslateCommand.h"

#include "runtime/KernelTableFromC.h"
#include "runtime/StepProfile.h"
#include "runtime/ThreadPool.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <climits>
#include <ostream>
#include <unistd.h>

namespace txc::runtime {
namespace {

// The directory of the running program, where `txc compile` puts the
// model's files next to `translate`.
std::string executableDirectory() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0)
    return ".";
  std::string s(path, static_cast<size_t>(n));
  size_t slash = s.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : s.substr(0, slash));
}

} // namespace

bool parseTranslateArgs(int argc, const char *const *argv,
                        TranslateCommandOptions &options, int &exitCode,
                        std::ostream &out, std::ostream &err) {
  CLI::App app{"Translates one sentence per line from stdin to stdout.",
               "translate"};
  SearchOptions &search = options.translate.search;
  app.add_option("--beam", search.beam, "beam size; 1 is greedy search")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-length", search.maxLength,
                 "most tokens generated (default and limit: the model's "
                 "max_positions)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--min-length", search.minLength,
                 "fewest tokens generated before EOS may end a sentence")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--length-penalty", search.lengthPenalty,
                 "beam results are ranked by score / length^A")
      ->capture_default_str();
  app.add_option("--n-best", search.nBest,
                 "hypotheses written per line, joined by ' ||| '")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-size", options.translate.batchSize,
                 "sentences translated together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", options.threads,
                 "threads for the whole process (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--ids", options.ids,
               "lines are space-separated token ids; output ids too");
  app.add_option("--dump-logits", options.dumpLogits,
                 "with --beam 1: write each line's decoder logits as a "
                 "float32 .npy array [lines, steps, target_vocab]");
  app.add_option("--model-dir", options.modelDir,
                 "the compiled model's directory (default: this program's)");
  app.add_flag("--runtime-ops", options.runtimeOps,
               "run every op with the runtime's own implementation instead "
               "of the kernels (a baseline to check kernels against)");
  app.add_flag("--profile", options.profile,
               "time every step; at the end, write the time per function "
               "and kernel to stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e, out, err);
    exitCode = code == 0 ? 0 : 2;
    return false;
  }
  if (!options.dumpLogits.empty() && search.beam != 1) {
    err << "translate: --dump-logits needs --beam 1\n";
    exitCode = 2;
    return false;
  }
  if (search.nBest > search.beam) {
    err << "translate: --n-best " << search.nBest << " exceeds --beam "
        << search.beam << "\n";
    exitCode = 2;
    return false;
  }
  return true;
}

int runTranslateCommand(int argc, const char *const *argv,
                        const txc_kernel_table *kernels, std::istream &in,
                        std::ostream &out, std::ostream &err) {
  TranslateCommandOptions options;
  int exitCode = 0;
  if (!parseTranslateArgs(argc, argv, options, exitCode, out, err))
    return exitCode;
  auto fail = [&](const Status &s) {
    err << "translate: " << s.message() << "\n";
    return 2;
  };
  if (Status s = setThreadCount(options.threads); !s.ok())
    return fail(s);
  std::string dir =
      options.modelDir.empty() ? executableDirectory() : options.modelDir;
  ExecutorOptions executorOptions;
  executorOptions.useKernels = !options.runtimeOps;
  executorOptions.profile = options.profile;
  std::unique_ptr<Translator> translator;
  if (Status s = Translator::open(dir, toKernelTable(kernels),
                                  embeddedPlan(kernels), executorOptions,
                                  translator);
      !s.ok())
    return fail(s);
  TranslateOptions resolved = options.translate;
  if (Status s = translator->resolveOptions(resolved); !s.ok())
    return fail(s);
  std::unique_ptr<Tokenizer> tokenizer;
  if (!options.ids)
    if (Status s = Tokenizer::open(translator->model(),
                                   translator->directory(), tokenizer);
        !s.ok())
      return fail(s);
  auto start = std::chrono::steady_clock::now();
  int status = translateLines(*translator, tokenizer.get(), options, in, out, err);
  if (options.profile)
    writeStepProfile(profileRows(translator->executors()),
                     std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count(),
                     err);
  return status;
}

} // namespace txc::runtime
