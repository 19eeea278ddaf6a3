// Translation with the reference evaluator: runs a txc module's @encode once
// per batch and drives @decode_step through the runtime's greedy/beam
// search, following ir/ModuleConventions.h. `txc run --reference` uses it,
// and it is what compiled translators are compared against.
#pragma once

#include "ir/EvalValue.h"
#include "ir/Evaluator.h"
#include "ir/WeightSource.h"
#include "runtime/Search.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace txc {

// The facts decoding needs from a txc module's attributes.
struct ModuleDecodingInfo {
  int64_t sourceVocab = 0;
  int64_t targetVocab = 0;
  int64_t maxPositions = 0;
  int64_t decoderLayers = 0;
  int32_t pad = 0;
  int32_t decoderStart = 0;
  int32_t eos = 0;
};

// Reads the txc.* module attributes; fails naming the first missing or
// non-integer one.
llvm::Expected<ModuleDecodingInfo>
readModuleDecodingInfo(mlir::ModuleOp module);

class ReferenceDecoder {
public:
  // Fails unless `module` has @encode and @decode_step with the argument and
  // result counts and cache types ModuleConventions.h fixes. `module` and
  // `weights` must outlive the decoder.
  static llvm::Expected<std::unique_ptr<ReferenceDecoder>>
  create(mlir::ModuleOp module, const WeightSource &weights);

  const ModuleDecodingInfo &info() const { return moduleInfo; }

  // The encoder output for `sources` as one batch: f32 [lines, longest
  // line, d_model] with zeros past each line's length (--dump-encoder).
  llvm::Expected<EvalValue>
  encoderOutput(const std::vector<std::vector<int32_t>> &sources);

  // Decodes `sources` as one batch; one result per source, in order.
  // `options.maxLength` must not exceed max_positions. `observer` sees every
  // row's raw logits (--dump-logits). Fails naming the line on an id outside
  // the source vocabulary or a line longer than max_positions.
  llvm::Expected<std::vector<runtime::SentenceResult>>
  decode(const std::vector<std::vector<int32_t>> &sources,
         const runtime::SearchOptions &options,
         const runtime::LogitsObserver &observer = {});

private:
  ReferenceDecoder(const WeightSource &weights, ModuleDecodingInfo info,
                   mlir::FuncOp encodeFn, mlir::FuncOp decodeStepFn,
                   int64_t heads, int64_t headDim);

  // Runs @encode; returns [memory, cross_k_0, cross_v_0, ...] and the
  // lengths tensor it was given.
  llvm::Expected<std::vector<EvalValue>>
  encode(const std::vector<std::vector<int32_t>> &sources, EvalValue &lengths);

  ModuleDecodingInfo moduleInfo;
  mlir::FuncOp encodeFn, decodeStepFn;
  int64_t heads, headDim; // of the self-attention caches
  Evaluator evaluator;
};

// Builds a ReferenceDecoder for `module` and decodes `sources` with it.
llvm::Expected<std::vector<runtime::SentenceResult>>
decodeWithReference(mlir::ModuleOp module, const WeightSource &weights,
                    const std::vector<std::vector<int32_t>> &sources,
                    const runtime::SearchOptions &options,
                    const runtime::LogitsObserver &observer = {});

} // namespace txc
