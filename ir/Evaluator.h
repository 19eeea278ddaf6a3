// The reference evaluator: interprets @encode and @decode_step of a txc
// module with plain loops. It defines what every op computes; compiled
// kernels and passes are tested against it.
#pragma once

#include "ir/EvalValue.h"
#include "ir/WeightSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace txc {

// Runs functions of one model. Weights are read from the WeightSource once
// and kept, so repeated calls (one @decode_step per token) do not re-read
// them. `weights` must outlive the evaluator.
class Evaluator {
public:
  explicit Evaluator(const WeightSource &weights) : weights(weights) {}

  // Evaluates `fn`, a single-block function of txc ops, index-typed
  // `arith.constant`s and a `std.return`. Fails (never asserts) when the
  // function does not verify, when `args` do not fit its argument types
  // (count, kind, rank, static dims; dynamic dims are free), when a weight
  // is missing or stored with another shape than its op's type, or when an
  // op's inputs are out of range; each message names the argument, weight
  // or op location at fault.
  llvm::Expected<std::vector<EvalValue>> run(mlir::FuncOp fn,
                                             llvm::ArrayRef<EvalValue> args);

private:
  llvm::Expected<EvalValue> weight(mlir::Operation *op, llvm::StringRef name,
                                   mlir::Type type);
  // cache[key], computed by `compute` on first use; errors are not cached.
  llvm::Expected<EvalValue>
  cached(llvm::StringMap<EvalValue> &cache, llvm::StringRef key,
         llvm::function_ref<llvm::Expected<EvalValue>()> compute);

  const WeightSource &weights;
  // Weights as stored, by name; stacked weights (txc.concat_weights), by
  // their names joined with '+'; packed weights (txc.packed_weight), by
  // name, rows and panel width. Only what ops read is kept, so a model
  // whose linears all read packed weights holds no unpacked copy of them.
  llvm::StringMap<EvalValue> cachedWeights, cachedStacks, cachedPacks;
};

// Evaluates `fn` once with a fresh Evaluator; see Evaluator::run.
llvm::Expected<std::vector<EvalValue>>
evaluateFunction(mlir::FuncOp fn, llvm::ArrayRef<EvalValue> args,
                 const WeightSource &weights);

// Fails, naming `what`, unless `value` fits `type`: an f32/i32 ranked tensor
// type of the same rank whose static dims equal the value's, or index.
llvm::Error checkValueType(const EvalValue &value, mlir::Type type,
                           const llvm::Twine &what);

} // namespace txc
