//===- TargetTraits.cpp - what schedules need to know of a target ---------===//

#include "codegen/kernels/TargetTraits.h"

#include <algorithm>
#include <string>

namespace txc::codegen {

TargetTraits targetTraits(const Halide::Target &target) {
  TargetTraits traits;
  traits.vectorWidth = target.natural_vector_size(Halide::Float(32));
  traits.vectorRegisters = target.has_feature(Halide::Target::AVX512) ? 32 : 16;
  // Per-core sizes of current x86 server cores (Zen 4, Sapphire Rapids
  // have 32-48 KiB and 1-2 MiB); Halide's Target does not carry them.
  traits.l1Bytes = 32 * 1024;
  traits.l2Bytes = 1024 * 1024;
  return traits;
}

int defaultGemmPanelWidth(const Halide::Target &target) {
  return 2 * targetTraits(target).vectorWidth;
}

int defaultGemmRows(const Halide::Target &target, int panelWidth) {
  TargetTraits traits = targetTraits(target);
  int vectorsPerRow = std::max(1, panelWidth / traits.vectorWidth);
  // Accumulators mr x vectorsPerRow, plus one row of weights and a
  // broadcast; capped so the unrolled tile stays a reasonable size.
  int rows = (traits.vectorRegisters - vectorsPerRow - 1) / vectorsPerRow;
  return std::clamp(rows, 1, 12);
}

void checkPanelWidth(const char *kernel, int panelWidth,
                     const TargetTraits &traits) {
  if (panelWidth % traits.vectorWidth != 0)
    throw Halide::CompileError(std::string(kernel) + ": panel width " +
                               std::to_string(panelWidth) +
                               " is not a multiple of the target's vector "
                               "width " +
                               std::to_string(traits.vectorWidth));
}

} // namespace txc::codegen
