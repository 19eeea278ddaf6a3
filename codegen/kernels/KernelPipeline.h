//===- KernelPipeline.h - a kernel as a Halide pipeline ---------*- C++ -*-===//
//
// Every kernel builder returns a KernelPipeline: the scheduled pipeline and
// the arguments of the compiled function in order. The builders throw
// Halide::CompileError on specs validateKernelSpec() rejects; callers outside
// the TxcHalideKernels target go through KernelCompiler.h instead.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/KernelParams.h"

#include <Halide.h>

#include <vector>

namespace txc::codegen {

/// A scheduled kernel: run it with Halide's JIT (set the parameters, then
/// pipeline.realize) or compile it ahead of time with `arguments`.
struct KernelPipeline {
  Halide::Pipeline pipeline;
  /// The function's input parameters in order; Halide appends the outputs.
  std::vector<Halide::Argument> arguments;
};

/// The pipeline `spec` describes, scheduled for `target`.
KernelPipeline buildKernelPipeline(const KernelSpec &spec,
                                   const Halide::Target &target);

/// Declares what every txc buffer guarantees: each dimension starts at 0 and
/// the innermost one is dense. `extents` (innermost first) pins static
/// extents; kDynamic leaves one free. With `dense`, each outer stride is the
/// product of the inner extents, so the buffer has no gaps.
void constrainBuffer(Halide::OutputImageParam buffer,
                     const std::vector<int64_t> &extents, bool dense);

/// min(index, extent - 1) for an index >= 0: reads of a tile's padding
/// repeat the last element. Promised to lie in [0, extent), so an empty
/// buffer, whose reads never execute, still passes the bounds checks.
Halide::Expr clampedIndex(const Halide::Expr &index, const Halide::Expr &extent);

/// Throws Halide::CompileError with validateKernelSpec's message when it
/// rejects `spec`; every builder starts with it.
void throwIfInvalid(const KernelSpec &spec);

} // namespace txc::codegen
