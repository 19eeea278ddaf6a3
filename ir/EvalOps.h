// The meaning of each txc op, as plain loops over EvalValues. Each function
// takes the op's operand values in operand order (already checked against
// the operand types' ranks and static dims) and returns the result, or an
// error naming the op's location when dynamic sizes or data do not fit.
// Reductions (dot products, softmax sums, LayerNorm moments) accumulate in
// double; results are stored as f32.
#pragma once

#include "ir/EvalValue.h"
#include "ir/TxcDialect.h"

#include "llvm/Support/Error.h"

namespace txc {

using EvalResult = llvm::Expected<EvalValue>;
using EvalOperands = llvm::ArrayRef<EvalValue>;

// An error "LOCATION: 'OP-NAME' MESSAGE" for `op`.
llvm::Error opError(mlir::Operation *op, const llvm::Twine &message);

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

// Attention pieces, LayerNorm and KV caches (EvalAttentionOps.cpp).
EvalResult evaluate(PaddingMaskOp op, EvalOperands operands);
EvalResult evaluate(CausalMaskOp op, EvalOperands operands);
EvalResult evaluate(SoftmaxOp op, EvalOperands operands);
EvalResult evaluate(LayerNormOp op, EvalOperands operands);
EvalResult evaluate(KvCacheReadOp op, EvalOperands operands);
EvalResult evaluate(KvCacheAppendOp op, EvalOperands operands);

// "[2, 0, 4]", for messages.
std::string shapeString(llvm::ArrayRef<int64_t> shape);

} // namespace txc
