// The `translate` program of a compiled model (DESIGN.md, "What users
// type"): reads one sentence per line, writes exactly one line per input
// line in order; a bad line gets a message naming its line number on stderr
// and an empty output line, and makes the exit status 1.
#pragma once

#include "runtime/Tokenizer.h"
#include "runtime/Translator.h"
#include "runtime/txc_c_api.h"

#include <iosfwd>
#include <string>

namespace txc::runtime {

struct TranslateCommandOptions {
  TranslateOptions translate;
  bool ids = false;         // lines are token ids, not text
  std::string dumpLogits;   // --dump-logits F.npy, or ""
  int threads = 0;          // 0: one per core
  std::string modelDir;     // "" : the executable's directory
  bool runtimeOps = false;  // every op by the runtime's own implementation
  bool profile = false;     // time every step; a table on stderr at the end
};

// Parses the command line. Returns true to go on; otherwise `exitCode` is
// set (0 after --help, 2 after a usage error, with the message on `err`).
bool parseTranslateArgs(int argc, const char *const *argv,
                        TranslateCommandOptions &options, int &exitCode,
                        std::ostream &out, std::ostream &err);

// Translates the lines of `in` to `out` with `translator`; `tokenizer` is
// used for text lines and must be set unless options.ids. Returns the exit
// status: 0, or 1 if a line was bad or the translation failed.
int translateLines(Translator &translator, const Tokenizer *tokenizer,
                   const TranslateCommandOptions &options, std::istream &in,
                   std::ostream &out, std::ostream &err);

// The whole program: arguments, model (from --model-dir or the
// executable's directory, with `kernels`), threads, then translateLines.
// Setup errors exit with 2.
int runTranslateCommand(int argc, const char *const *argv,
                        const txc_kernel_table *kernels, std::istream &in,
                        std::ostream &out, std::ostream &err);

} // namespace txc::runtime
