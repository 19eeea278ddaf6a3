// `txc compile`: spec -> primitive graph -> pass pipeline -> IR, kernels or
// a native library.
#include "tools/txc/Commands.h"
#include "tools/txc/LoadedModel.h"

#include "codegen/KernelCompiler.h"
#include "codegen/LibraryBuilder.h"
#include "passes/IrDumpInstrumentation.h"
#include "passes/Passes.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace txc;

static llvm::Error unknownPassError(const std::string &name) {
  std::string known;
  for (const std::string &n : defaultPipelinePassNames())
    known += (known.empty() ? "" : ", ") + n;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "--disable-pass: unknown pass '%s' (known: %s, or all)",
                                 name.c_str(), known.c_str());
}

static llvm::Error runPipeline(mlir::ModuleOp module,
                               const CompileOptions &options) {
  std::set<std::string> disabled;
  for (const std::string &name : options.disabledPasses) {
    if (name == "all") {
      const auto &known = defaultPipelinePassNames();
      disabled.insert(known.begin(), known.end());
      continue;
    }
    std::string bare = llvm::StringRef(name).startswith("txc-")
                           ? name.substr(4)
                           : name;
    const auto &known = defaultPipelinePassNames();
    if (std::find(known.begin(), known.end(), bare) == known.end())
      return unknownPassError(name);
    disabled.insert(bare);
  }
  mlir::PassManager pm(module.getContext());
  if (options.printIrAfterAll) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting([](mlir::Pass *, mlir::Operation *) { return false; },
                        [](mlir::Pass *, mlir::Operation *) { return true; },
                        /*printModuleScope=*/true,
                        /*printAfterOnlyOnChange=*/false);
  }
  if (options.passTiming)
    pm.enableTiming();
  if (!options.dumpIrDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(options.dumpIrDir))
      return llvm::createStringError(ec, "--dump-ir %s: %s",
                                     options.dumpIrDir.c_str(),
                                     ec.message().c_str());
    auto dumper = std::make_unique<IrDumpInstrumentation>(
        options.dumpIrDir, options.printLocations);
    dumper->dumpInput(module);
    pm.addInstrumentation(std::move(dumper));
  }
  codegen::TargetInfo target = codegen::describeTarget(options.target);
  if (!target.ok)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--target %s: %s", options.target.c_str(),
                                   target.message.c_str());
  PipelineTarget pipelineTarget;
  pipelineTarget.vectorWidth = target.vectorWidth;
  buildDefaultPipeline(pm, disabled, pipelineTarget);
  if (mlir::failed(pm.run(module)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the pass pipeline failed on the model");
  return llvm::Error::success();
}

// Where `--emit mlir` writes: stdout, OUT/<name>.mlir for a directory, or
// the named file.
static std::string mlirOutputPath(const CompileOptions &options,
                                  const std::string &modelName) {
  if (options.output.empty())
    return "-";
  llvm::StringRef out(options.output);
  if (out.endswith("/") || llvm::sys::fs::is_directory(out)) {
    llvm::SmallString<128> path(out);
    llvm::sys::path::append(path, modelName + ".mlir");
    return std::string(path);
  }
  return options.output;
}

static llvm::Error writeModule(mlir::ModuleOp module, const std::string &path,
                               bool withLocations) {
  if (path != "-") {
    llvm::StringRef parent = llvm::sys::path::parent_path(path);
    if (!parent.empty())
      llvm::sys::fs::create_directories(parent);
  }
  std::error_code ec;
  llvm::ToolOutputFile file(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s", path.c_str(),
                                   ec.message().c_str());
  mlir::OpPrintingFlags flags;
  if (withLocations)
    flags.enableDebugInfo();
  module->print(file.os(), flags);
  file.os() << "\n";
  file.keep();
  return llvm::Error::success();
}

int txc::runCompileCommand(const CompileOptions &options) {
  mlir::MLIRContext context;
  auto model = loadModelAndBuildGraph(context, options.model);
  if (!model)
    return reportError(model.takeError());
  if (llvm::Error err = runPipeline(*model->module, options))
    return reportError(std::move(err));
  if (options.emit == "mlir") {
    if (llvm::Error err =
            writeModule(*model->module, mlirOutputPath(options, model->spec.name),
                        options.printLocations))
      return reportError(std::move(err));
    return 0;
  }
  if (options.output.empty())
    return reportError(llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "--emit %s needs an output directory (-o OUT/)",
        options.emit.c_str()));
  codegen::LibraryOptions library;
  library.outputDir = options.output;
  library.target = options.target;
  library.kernelsOnly = options.emit == "kernels";
  library.sourceSpm = model->spec.sourceSpm;
  library.targetSpm = model->spec.targetSpm;
  library.vocabJson = model->spec.vocabJson;
  library.runtime = {TXC_RUNTIME_ARCHIVE, TXC_TRANSLATE_ARCHIVE,
                     TXC_TRANSLATE_MAIN_ARCHIVE, TXC_C_API_HEADER,
                     TXC_SENTENCEPIECE_LIBRARY};
  if (llvm::Error err =
          codegen::buildLibrary(*model->module, *model->weights, library))
    return reportError(std::move(err));
  return 0;
}
