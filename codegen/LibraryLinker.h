// The last step of `txc compile`: generates the kernel table and the C
// header of a model, and invokes the system toolchain to link
// lib<name>.so and `translate`.
#pragma once

#include "codegen/LibraryBuilder.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace txc::codegen {

struct LinkInputs {
  std::string modelName; // a C identifier (the spec guarantees it)
  std::string outputDir;
  std::string objectDir;            // for generated sources and objects
  std::vector<std::string> objects; // kernels and the Halide runtime
  std::vector<std::string> kernelSymbols;
  RuntimeArtifacts runtime;
};

// Writes <name>.h, txc_c_api.h, lib<name>.so and translate into outputDir.
// Fails with the toolchain's message when a command fails.
llvm::Error linkLibraryAndTranslator(const LinkInputs &inputs);

} // namespace txc::codegen
