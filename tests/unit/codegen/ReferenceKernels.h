//===- ReferenceKernels.h - plain loops the kernels must match --*- C++ -*-===//
//
// Straightforward definitions of what each kernel computes, accumulating in
// double. Tensors are flat row-major vectors; shapes are outermost first.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/KernelParams.h"

#include <optional>
#include <vector>

namespace txc::codegen::testing {

using Floats = std::vector<float>;

double referenceActivation(Activation activation, double x);

/// act(x[m, k] . w[n, k] + bias[n]) -> [m, n]; no bias when `bias` is empty.
Floats referenceLinear(const Floats &x, const Floats &w, const Floats &bias,
                       int m, int n, int k, Activation activation);

/// [batch, m, n] from a ([batch, m, k] or [batch, k, m]) and b ([batch, k, n]
/// or [batch, n, k]).
Floats referenceBatchMatmul(const Floats &a, const Floats &b, int batch, int m,
                            int n, int k, bool transposeA, bool transposeB);

/// Masks of scores[b, h, q, k]: keys >= lengths[b] and keys > q + offset.
struct ReferenceMasks {
  std::optional<std::vector<int>> lengths;
  std::optional<int> causalOffset;
};

/// Softmax over the last axis of scores * scale after masking; a fully
/// masked row gives zeros.
Floats referenceSoftmax(const Floats &scores, int batch, int heads, int queries,
                        int keys, double scale, const ReferenceMasks &masks);

/// LN(x (+ residual)) over rows of `features`; no residual when empty.
Floats referenceLayerNorm(const Floats &x, const Floats &residual,
                          const Floats &gamma, const Floats &beta, int rows,
                          int features, double eps);

/// Unfused attention: softmax(scale q k^T, masked) v over [b, h, s, dh].
Floats referenceAttention(const Floats &q, const Floats &k, const Floats &v,
                          int batch, int heads, int queries, int keys,
                          int headDim, double scale,
                          const ReferenceMasks &masks);

/// Log-softmax and argmax (lowest index among maxima) of rows of `vocab`
/// logits, with logits[row, maskedToken] taken as -inf.
Floats referenceLogSoftmax(const Floats &logits, int rows, int vocab,
                           int maskedToken);
std::vector<int> referenceArgmax(const Floats &logits, int rows, int vocab,
                                 int maskedToken);

} // namespace txc::codegen::testing
