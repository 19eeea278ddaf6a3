// The meaning of each txc op, as plain loops over EvalValues. Each function
// takes the op's operand values in operand order (already checked against
// the operand types' ranks and static dims) and returns the result, or an
// error naming the op's location when dynamic sizes or data do not fit.
// Reductions (dot products, softmax sums, LayerNorm moments) accumulate in
// double; results are stored as f32.
#pragma once

#include "ir/EvalValue.h"
#include "ir/TxcDialect.h"
#include "ir/WeightSource.h"

#include "llvm/Support/Error.h"

namespace txc {

using EvalResult = llvm::Expected<EvalValue>;
using EvalOperands = llvm::ArrayRef<EvalValue>;

// An error "LOCATION: 'OP-NAME' MESSAGE" for `op`.
llvm::Error opError(mlir::Operation *op, const llvm::Twine &message);

// The tensor `weights` holds under `name`, checked to hold as many values as
// its shape; errors name `op` and the weight.
llvm::Expected<WeightView> readWeight(mlir::Operation *op, llvm::StringRef name,
                                      const WeightSource &weights);

// Embeddings and positions (EvalEmbeddingOps.cpp).
EvalResult evaluate(EmbeddingOp op, EvalOperands operands);
EvalResult evaluate(SinusoidPositionsOp op, EvalOperands operands);
EvalResult evaluate(LearnedPositionsOp op, EvalOperands operands);

// Linear algebra and head layout (EvalLinearOps.cpp).
EvalResult evaluate(LinearOp op, EvalOperands operands);
EvalResult evaluate(MatmulOp op, EvalOperands operands);
EvalResult evaluate(SplitHeadsOp op, EvalOperands operands);
EvalResult evaluate(MergeHeadsOp op, EvalOperands operands);

// Elementwise (EvalElementwiseOps.cpp).
EvalResult evaluate(ScaleOp op, EvalOperands operands);
EvalResult evaluate(AddOp op, EvalOperands operands);
EvalResult evaluate(ReluOp op, EvalOperands operands);
EvalResult evaluate(GeluOp op, EvalOperands operands);
EvalResult evaluate(GeluTanhOp op, EvalOperands operands);
EvalResult evaluate(SwishOp op, EvalOperands operands);

// The activation formulas the activation ops and txc.gemm's epilogue apply.
namespace activation {
double relu(double x);
double gelu(double x); // erf form
double geluTanh(double x);
double swish(double x);
} // namespace activation

// Packing real tokens and back (EvalPaddingOps.cpp).
EvalResult evaluate(PackRowsOp op, EvalOperands operands);
EvalResult evaluate(UnpackRowsOp op, EvalOperands operands);

// Attention pieces, LayerNorm and KV caches (EvalAttentionOps.cpp).
EvalResult evaluate(PaddingMaskOp op, EvalOperands operands);
EvalResult evaluate(CausalMaskOp op, EvalOperands operands);
EvalResult evaluate(SoftmaxOp op, EvalOperands operands);
EvalResult evaluate(LayerNormOp op, EvalOperands operands);
EvalResult evaluate(KvCacheReadOp op, EvalOperands operands);
EvalResult evaluate(KvCacheAppendOp op, EvalOperands operands);

// Rows shared by the primitive ops and the fused ops that replace them, so a
// fusion computes exactly what the chain it replaces computes.
// softmaxRow writes n outputs (zeros when every input is -inf); layerNormRow
// normalises d inputs with gamma[d], beta[d].
void softmaxRow(const float *in, int64_t n, float *out);
void layerNormRow(const float *in, int64_t d, const float *gamma,
                  const float *beta, double eps, float *out);
// Fails unless gamma and beta (rank 1) both have `features` elements.
llvm::Error checkNormParameters(mlir::Operation *op, int64_t features,
                                const EvalValue &gamma, const EvalValue &beta);

// Fused and scheduled ops (EvalFusedOps.cpp). The two weight-reading ops
// look their weights up in `weights` and check them against the op's
// attributes and result type, naming the weights on a mismatch; the
// Evaluator caches what they return.
EvalResult evaluate(ConcatWeightsOp op, const WeightSource &weights);
EvalResult evaluate(PackedWeightOp op, const WeightSource &weights);
EvalResult evaluate(SliceOp op, EvalOperands operands);
EvalResult evaluate(GemmOp op, EvalOperands operands);
// x [..., k] times a weight packed in panels [ceil(n/P), k, P] plus `bias`
// (may be null), then `activate` (null: none); errors name `op`.
using ActivationFn = double (*)(double);
EvalResult evaluatePackedLinear(mlir::Operation *op, const EvalValue &x,
                                const EvalValue &packed, const EvalValue *bias,
                                int64_t n, const ActivationFn &activate);
EvalResult evaluate(AttentionOp op, EvalOperands operands);
EvalResult evaluate(AddLayerNormOp op, EvalOperands operands);

// "[2, 0, 4]", for messages.
std::string shapeString(llvm::ArrayRef<int64_t> shape);

// Output ops of a fused decoder step (EvalOutputOps.cpp).
EvalResult evaluate(ArgmaxOp op, EvalOperands operands);
EvalResult evaluate(LinearArgmaxOp op, EvalOperands operands);
EvalResult evaluate(LogSoftmaxTopKOp op, EvalOperands operands);

} // namespace txc
