// txc: compiles Transformer models and runs them with the reference evaluator.
#include "tools/txc/Commands.h"

#include <CLI/CLI.hpp>

int main(int argc, char **argv) {
  CLI::App app{"txc: a compiler for Transformer translation models"};
  app.require_subcommand(1);

  txc::CompileOptions compile;
  CLI::App *compileCmd =
      app.add_subcommand("compile", "compile a model to IR, kernels or a library");
  compileCmd->add_option("MODEL", compile.model,
                         "model spec (model.toml) or HF Marian directory")
      ->required();
  compileCmd->add_option("-o,--output", compile.output,
                         "output file or directory (default: stdout for --emit mlir)");
  compileCmd->add_option("--emit", compile.emit, "what to produce")
      ->check(CLI::IsMember({"mlir", "kernels", "lib"}))
      ->capture_default_str();
  compileCmd->add_option("--target", compile.target,
                         "Halide target (host, x86-64-linux-avx2-fma, ...)")
      ->capture_default_str();
  compileCmd->add_option("--dump-ir", compile.dumpIrDir,
                         "write the module after every pass into this directory");
  compileCmd->add_flag("--print-ir-after-all", compile.printIrAfterAll,
                       "print the module after every pass on stderr");
  compileCmd->add_flag("--pass-timing", compile.passTiming,
                       "report the time each pass took");
  compileCmd->add_flag("--print-locations", compile.printLocations,
                       "print each op's location (the model part it implements)");
  compileCmd->add_option("--disable-pass", compile.disabledPasses,
                         "leave a pass out of the pipeline (repeatable; 'all' runs none)");

  txc::RunOptions run;
  CLI::App *runCmd = app.add_subcommand(
      "run", "translate token-id lines from stdin with the reference evaluator");
  runCmd->add_option("MODEL", run.model, "model spec or HF Marian directory")
      ->required();
  runCmd->add_flag("--reference", run.reference,
                   "evaluate the IR with the reference evaluator")
      ->required();
  runCmd->add_flag("--ids", run.ids, "lines are space-separated token ids")
      ->required();
  runCmd->add_option("--beam", run.beam, "beam size (1 = greedy)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  runCmd->add_option("--min-length", run.minLength,
                     "tokens generated before EOS is allowed")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  runCmd->add_option("--max-length", run.maxLength,
                     "most tokens generated (default: max_positions)")
      ->check(CLI::PositiveNumber);
  runCmd->add_option("--length-penalty", run.lengthPenalty,
                     "final score = score / length^A")
      ->capture_default_str();
  runCmd->add_option("--n-best", run.nBest,
                     "print this many final hypotheses (at most the beam), best "
                     "first, joined by ' ||| '")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  runCmd->add_option("--dump-logits", run.dumpLogits,
                     "write raw step logits [lines, steps, vocab] as .npy "
                     "(needs --beam 1 and min = max length)");
  runCmd->add_option("--dump-encoder", run.dumpEncoder,
                     "write encoder outputs [lines, max_len, d_model] as .npy");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (compileCmd->parsed())
    return txc::runCompileCommand(compile);
  return txc::runReferenceCommand(run);
}
