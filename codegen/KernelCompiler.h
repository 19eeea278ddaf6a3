//===- KernelCompiler.h - ahead-of-time compilation of kernels --*- C++ -*-===//
//
// The boundary of the kernel library: plain types in, plain types out, no
// Halide headers and no exceptions, so the driver (built without exceptions)
// can call it. Each kernel compiles to an object file holding one C function
// and no Halide runtime; the library links one runtime object, made by
// compileHalideRuntime, next to all its kernels:
//
//   c++ -shared -o libNAME.so kernels/*.o halide_runtime.o -lpthread -ldl
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/KernelParams.h"

#include <string>

namespace txc::codegen {

/// Whether a compilation worked; `message` says why not in one line.
struct CompileResult {
  bool ok = false;
  std::string message;
};

/// What the kernels need to know of a target string ("host",
/// "x86-64-linux-avx2-fma", ... in Halide's target syntax).
struct TargetInfo {
  bool ok = false;
  std::string message;   ///< why the string is not a target, when !ok
  std::string canonical; ///< the full target, "host" resolved
  int vectorWidth = 0;   ///< floats per vector register
  int gemmPanelWidth = 0; ///< panel width GemmParams{panelWidth = 0} means
};

TargetInfo describeTarget(const std::string &target);

/// Files compileKernel writes, each `pathPrefix` + the extension shown.
struct KernelOutputs {
  bool object = true;         ///< .o, the function `functionName`
  bool header = true;         ///< .h, its C declaration
  bool staticLibrary = false; ///< .a holding the same object
  bool stmtHtml = false;      ///< .stmt.html, the lowered loop nest
  bool assembly = false;      ///< .s
};

struct KernelCompileOptions {
  std::string target = "host";
  /// Drops the checks of buffer shapes on entry; only for callers that
  /// guarantee the shapes the spec documents.
  bool noAsserts = false;
  KernelOutputs outputs;
};

/// Compiles the kernel `spec` describes into a C function `functionName`
/// (a C identifier) taking the arguments KernelParams.h lists for its kind;
/// the function returns 0, or a Halide error code (after reporting through
/// halide_error) when a buffer's shape breaks the spec's contract.
CompileResult compileKernel(const KernelSpec &spec,
                            const std::string &functionName,
                            const std::string &pathPrefix,
                            const KernelCompileOptions &options);

/// Writes the Halide runtime for `target` (thread pool, allocation, error
/// reporting) as one object file, to link once per library.
CompileResult compileHalideRuntime(const std::string &target,
                                   const std::string &objectPath);

} // namespace txc::codegen
