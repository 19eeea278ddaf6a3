#include "codegen/LibraryBuilder.h"

#include "codegen/EmbeddingPanels.h"
#include "codegen/KernelCompiler.h"
#include "codegen/KernelSelection.h"
#include "codegen/LibraryLinker.h"
#include "codegen/OutputFiles.h"
#include "codegen/PlanLowering.h"
#include "codegen/WeightEmission.h"
#include "codegen/WeightSharing.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <fstream>
#include <unistd.h>

using namespace txc;
using namespace txc::codegen;


// Prints "kernel i of N" with the elapsed time, overwriting one line, when
// stderr is a terminal; stays quiet otherwise (logs, tests, CI).
class CompileProgress {
public:
  explicit CompileProgress(size_t total)
      : total(total), enabled(isatty(STDERR_FILENO)),
        start(std::chrono::steady_clock::now()) {}
  void kernel(size_t index, const std::string &name) {
    if (!enabled)
      return;
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    llvm::errs() << llvm::format("\r\x1b[Ktxc: kernel %zu of %zu (%.1f s) ",
                                 index + 1, total, seconds)
                 << name;
    llvm::errs().flush();
  }
  void done() {
    if (enabled)
      llvm::errs() << "\r\x1b[K";
  }

private:
  size_t total;
  bool enabled;
  std::chrono::steady_clock::time_point start;
};

static llvm::Error copyTokenizerFile(const std::string &from,
                                     const std::string &outputDir,
                                     std::string &planName) {
  if (from.empty())
    return llvm::Error::success();
  planName = std::string(llvm::sys::path::filename(from));
  if (std::error_code ec =
          llvm::sys::fs::copy_file(from, joinPath(outputDir, planName)))
    return outputError("cannot copy " + from + ": " + ec.message());
  return llvm::Error::success();
}

static llvm::Error compileKernels(const KernelSelection &selection,
                                  const LibraryOptions &options,
                                  const std::string &objectDir,
                                  std::vector<std::string> &objects) {
  KernelCompileOptions compileOptions;
  compileOptions.target = options.target;
  bool inspect = options.kernelsOnly || options.inspectKernels;
  compileOptions.outputs.header = inspect;
  compileOptions.outputs.stmtHtml = inspect;
  compileOptions.outputs.assembly = inspect;
  CompileProgress progress(selection.kernels.size());
  size_t index = 0;
  for (const auto &[symbol, spec] : selection.kernels) {
    progress.kernel(index++, symbol);
    std::string prefix = joinPath(objectDir, symbol);
    CompileResult result =
        compileKernel(spec, symbol, prefix, compileOptions);
    if (!result.ok) {
      progress.done();
      return outputError("kernel " + symbol + ": " + result.message);
    }
    objects.push_back(prefix + ".o");
  }
  progress.done();
  std::string runtimeObject = joinPath(objectDir, "halide_runtime.o");
  CompileResult runtime = compileHalideRuntime(options.target, runtimeObject);
  if (!runtime.ok)
    return outputError("Halide runtime: " + runtime.message);
  objects.push_back(runtimeObject);
  return llvm::Error::success();
}

llvm::Error txc::codegen::buildLibrary(mlir::ModuleOp module,
                                       const WeightSource &weights,
                                       const LibraryOptions &options) {
  TargetInfo target = describeTarget(options.target);
  if (!target.ok)
    return outputError("--target " + options.target + ": " + target.message);
  auto plan = lowerModuleToPlan(module);
  if (!plan)
    return plan.takeError();
  KernelSelection selection = selectKernels(*plan, target.gemmPanelWidth);
  if (llvm::Error err = shareStoredWeights(*plan, selection, weights))
    return err;
  gatherEmbeddingsFromPanels(*plan, selection);

  const std::string &out = options.outputDir;
  std::string objectDir =
      joinPath(out, options.kernelsOnly ? "kernels" : "obj");
  if (std::error_code ec = llvm::sys::fs::create_directories(objectDir))
    return outputError("cannot create " + objectDir + ": " + ec.message());
  std::vector<std::string> objects;
  if (llvm::Error err = compileKernels(selection, options, objectDir, objects))
    return err;
  if (options.kernelsOnly)
    return llvm::Error::success();

  runtime::ModelInfo &info = plan->model;
  for (auto [from, name] :
       {std::pair{&options.sourceSpm, &info.sourceSpm},
        std::pair{&options.targetSpm, &info.targetSpm},
        std::pair{&options.vocabJson, &info.vocabJson}})
    if (llvm::Error err = copyTokenizerFile(*from, out, *name))
      return err;
  info.weightsFile = "weights.safetensors";
  if (llvm::Error err = writePlanWeights(*plan, selection, weights,
                                         joinPath(out, info.weightsFile)))
    return err;
  std::ofstream planFile(joinPath(out, "plan.json"));
  planFile << runtime::serializePlan(*plan);
  if (!planFile)
    return outputError("cannot write " + joinPath(out, "plan.json"));
  planFile.close();

  LinkInputs link;
  link.modelName = info.name;
  link.outputDir = out;
  link.objectDir = objectDir;
  link.objects = objects;
  for (const auto &entry : selection.kernels)
    link.kernelSymbols.push_back(entry.first);
  link.runtime = options.runtime;
  return linkLibraryAndTranslator(link);
}
