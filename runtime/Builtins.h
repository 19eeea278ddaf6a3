// The runtime's own implementation of every op kind, in plain C++: used
// when a plan step names no kernel, which lets a whole plan run without any
// Halide kernel and gives kernels a baseline to be compared against. Each
// follows the op's definition in ir/TxcOps.td.
#pragma once

#include "runtime/Plan.h"

namespace txc::runtime {

// One operand of a step: a tensor, or an index scalar; absent optional
// operands have present = false.
struct Operand {
  TensorView tensor;
  int64_t index = 0;
  bool present = false;
};

// Computes `step` into `result`, a dense tensor of the inferred shape.
// Operands have innermost stride 1; those of kinds other than
// builtinReadsStrided() are dense. Fails on data the op rejects (a token id
// outside the table, an origin row that does not exist). Not for Constant
// or Weight, which hold no computation.
Status runBuiltin(const PlanStep &step, const std::vector<Operand> &operands,
                  const TensorView &result);

// Kinds whose implementation reads operands with any outer strides (the KV
// cache's views are strided).
bool builtinReadsStrided(OpKind kind);

} // namespace txc::runtime
