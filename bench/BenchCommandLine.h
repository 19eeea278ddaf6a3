// The command line both kernel benchmarks share: their own `--NAME=N`
// integer flags, taken out before Google Benchmark sees the rest, and the
// pair of benchmarks (txc's kernel and its baseline) each case registers.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace txc::bench {

struct BenchCommandLine {
  std::map<std::string, int> flags; // our flags' values, defaults filled in
  std::vector<char *> rest;         // argv for Google Benchmark

  // Reads `--NAME=N` (N clamped to >= 1) for each name in `defaults`.
  BenchCommandLine(int argc, char **argv, std::map<std::string, int> defaults)
      : flags(std::move(defaults)) {
    for (int i = 0; i < argc; ++i) {
      bool ours = false;
      for (auto &[name, value] : flags) {
        std::string prefix = "--" + name + "=";
        if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
          value = std::max(1, std::atoi(argv[i] + prefix.size()));
          ours = true;
        }
      }
      if (!ours)
        rest.push_back(argv[i]);
    }
  }

  // Hands the rest to Google Benchmark; false on an argument it rejects.
  bool initializeBenchmark() {
    int count = int(rest.size());
    benchmark::Initialize(&count, rest.data());
    return !benchmark::ReportUnrecognizedArguments(count, rest.data());
  }
};

// Registers "<txcName>/<name>" and "<baselineName>/<name>", timed in real
// microseconds.
template <typename Case, typename Fn>
void registerPair(const std::string &name, const char *txcName, Fn txc,
                  const char *baselineName, Fn baseline, const Case &c) {
  for (auto [side, fn] : {std::pair{txcName, txc}, std::pair{baselineName, baseline}})
    benchmark::RegisterBenchmark((std::string(side) + "/" + name).c_str(), fn,
                                 c)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
}

} // namespace txc::bench
