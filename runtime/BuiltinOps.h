// The per-kind implementations behind runBuiltin (Builtins.h), grouped by
// family; each takes the step's operands in order and a dense result.
#pragma once

#include "runtime/Builtins.h"

namespace txc::runtime::builtins {

using Operands = std::vector<Operand>;

// BuiltinsEmbedding.cpp
Status embedding(const PlanStep &step, const Operands &ops,
                 const TensorView &out);
Status sinusoidPositions(const PlanStep &step, const Operands &ops,
                         const TensorView &out);
Status learnedPositions(const PlanStep &step, const Operands &ops,
                        const TensorView &out);

// BuiltinsElementwise.cpp
Status elementwise(const PlanStep &step, const Operands &ops,
                   const TensorView &out);
Status paddingMask(const Operands &ops, const TensorView &out);
Status causalMask(const Operands &ops, const TensorView &out);
Status softmax(const Operands &ops, const TensorView &out);
Status layerNorm(const PlanStep &step, const Operands &ops,
                 const TensorView &out);

// BuiltinsLinalg.cpp
Status linear(const PlanStep &step, const Operands &ops,
              const TensorView &out);
Status matmul(const PlanStep &step, const Operands &ops,
              const TensorView &out);
Status splitHeads(const Operands &ops, const TensorView &out);
Status mergeHeads(const Operands &ops, const TensorView &out);
Status slice(const PlanStep &step, const Operands &ops, const TensorView &out);

// BuiltinsAttention.cpp
Status attention(const PlanStep &step, const Operands &ops,
                 const TensorView &out);
Status kvCacheRead(const Operands &ops, const TensorView &out);
Status kvCacheAppend(const Operands &ops, const TensorView &out);

// BuiltinsPadding.cpp
Status packRows(const Operands &ops, const TensorView &out);
Status unpackRows(const Operands &ops, const TensorView &out);

// BuiltinsOutput.cpp
Status argmax(const Operands &ops, const TensorView &out);
Status logSoftmaxTopK(const Operands &ops, const TensorView &out);
// All logits through `linear`, then argmax: the exact answer the int8
// screen of a kernel-run step (VocabScreen.h) finds with less work.
Status linearArgmax(const PlanStep &step, const Operands &ops,
                    const TensorView &out);

// Applies the named activation ("relu", "gelu", "gelu_tanh", "swish") to
// `count` values in place.
void applyActivation(const std::string &activation, float *values,
                     int64_t count);

// The dot product of `n` floats. matmul and attention share it, so fused
// and unfused attention sum their scores in the same order.
inline float dot(const float *a, const float *b, int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i)
    s += a[i] * b[i];
  return s;
}

// Softmax of one row in place; a row of only -inf becomes zeros.
void softmaxRow(float *row, int64_t count);

} // namespace txc::runtime::builtins
