//===- TargetTraits.h - what schedules need to know of a target -*- C++ -*-===//
#pragma once

#include <Halide.h>

namespace txc::codegen {

/// The target properties the hand-written schedules are sized from.
struct TargetTraits {
  int vectorWidth;     ///< floats per vector register: 16 AVX-512, 8 AVX2
  int vectorRegisters; ///< architectural vector registers: 32 AVX-512, else 16
  int l1Bytes;         ///< L1 data cache, where a tile's input rows stay
  int l2Bytes;         ///< L2 cache, where a task's packed weights stay
};

TargetTraits targetTraits(const Halide::Target &target);

/// The GEMM panel width the target reads best: two vectors, so a register
/// tile of `defaultGemmRows` rows uses most vector registers.
int defaultGemmPanelWidth(const Halide::Target &target);

/// Throws Halide::CompileError naming `kernel` unless `panelWidth` is a
/// whole number of the target's vectors, which panel kernels tile by.
void checkPanelWidth(const char *kernel, int panelWidth,
                     const TargetTraits &traits);

/// Register tile rows for a tile `panelWidth` floats wide: as many as leave
/// room for one panel row of weights and one broadcast input.
int defaultGemmRows(const Halide::Target &target, int panelWidth);

} // namespace txc::codegen
