//===- KernelPipeline.cpp - a kernel as a Halide pipeline -----------------===//

#include "codegen/kernels/KernelPipeline.h"


namespace txc::codegen {

using namespace Halide;

void constrainBuffer(OutputImageParam buffer,
                     const std::vector<int64_t> &extents, bool dense) {
  for (int d = 0; d < buffer.dimensions(); ++d) {
    Internal::Dimension dim = buffer.dim(d);
    dim.set_min(0);
    if (d < int(extents.size()) && extents[d] != kDynamic)
      dim.set_extent(int(extents[d]));
    if (d == 0)
      dim.set_stride(1);
    else if (dense)
      dim.set_stride(buffer.dim(d - 1).stride() * buffer.dim(d - 1).extent());
  }
}

Expr clampedIndex(const Expr &index, const Expr &extent) {
  return unsafe_promise_clamped(min(index, extent - 1), 0, extent - 1);
}

void throwIfInvalid(const KernelSpec &spec) {
  std::string problem = validateKernelSpec(spec);
  if (!problem.empty())
    throw CompileError(problem);
}

} // namespace txc::codegen
