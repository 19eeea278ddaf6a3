// The subcommands of the `txc` driver. Each returns the process exit status
// and reports errors on stderr as one line each.
#pragma once

#include <string>
#include <vector>

namespace txc {

struct CompileOptions {
  std::string model;  // spec file or HF Marian directory
  std::string output; // file or directory; empty prints to stdout
  std::string emit = "lib";
  std::string target = "host";
  std::string dumpIrDir;
  bool printIrAfterAll = false;
  bool passTiming = false;
  bool printLocations = false;
  std::vector<std::string> disabledPasses;
};

struct RunOptions {
  std::string model;
  bool reference = false;
  bool ids = false;
  int beam = 4;
  int minLength = 0;
  int maxLength = -1; // -1: the model's max_positions
  double lengthPenalty = 1.0;
  int nBest = 1; // hypotheses printed per line, best first
  std::string dumpLogits;
  std::string dumpEncoder;
};

int runCompileCommand(const CompileOptions &options);
int runReferenceCommand(const RunOptions &options);

} // namespace txc
