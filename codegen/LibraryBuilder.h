// `txc compile --emit lib|kernels`: turns a txc module into the files a user
// ships — lib<name>.so with its C header, the `translate` program, plan.json
// and the repacked weight file — by compiling each selected kernel ahead of
// time and linking them with the runtime.
#pragma once

#include "ir/WeightSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace txc::codegen {

// Where the prebuilt runtime pieces are, fixed when txc itself is built.
struct RuntimeArtifacts {
  std::string runtimeArchive;       // libTxcRuntime.a
  std::string translateArchive;     // libTxcTranslate.a
  std::string translateMainArchive; // libTxcTranslateMain.a
  std::string cApiHeader;           // runtime/txc_c_api.h
  std::string sentencepieceLibrary;
};

struct LibraryOptions {
  std::string outputDir;
  std::string target = "host";
  // Only compile the kernels, writing each one's header, lowered statement
  // (HTML) and assembly next to its object for inspection.
  bool kernelsOnly = false;
  // Also write schedules, statements and assembly with a full library.
  bool inspectKernels = false;
  // Tokenizer files (absolute paths, may be empty) copied beside the model.
  std::string sourceSpm, targetSpm, vocabJson;
  RuntimeArtifacts runtime;
};

// Needs a verified module following ir/ModuleConventions.h whose weights
// `weights` holds. Reports progress on stderr when it is a terminal.
llvm::Error buildLibrary(mlir::ModuleOp module, const WeightSource &weights,
                         const LibraryOptions &options);

} // namespace txc::codegen
