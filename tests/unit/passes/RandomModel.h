// Small models with random weights, and a recorded sequence of @encode and
// @decode_step calls on them, for checking that a pass leaves what the
// reference evaluator computes unchanged.
#pragma once

#include "frontend/ModelSpec.h"
#include "ir/EvalValue.h"
#include "ir/WeightSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace txc::testing {

// Every weight of requiredWeights(spec), uniform in [-0.5, 0.5) from a
// generator seeded with `seed`; LayerNorm gains are 1 plus that noise.
class RandomWeights : public WeightSource {
public:
  RandomWeights(const ModelSpec &spec, unsigned seed);

  llvm::Expected<WeightView> lookup(llvm::StringRef name) const override;

private:
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>
      tensors;
};

struct ModelVariant {
  std::string name;
  ModelSpec spec;
};

// Tiny valid specs (d_model 16, 2 heads, ffn 32, 2 + 2 layers) covering
// post and pre norm, each activation, tied and untied output projections,
// with and without output bias, both position kinds and sinusoid layouts.
// Each has at least one residual add that feeds only a LayerNorm (post
// norm, or pre norm with final norms), so schedule-layernorm has work.
std::vector<ModelVariant> modelVariants();

// One call of a module function with the results it gave.
struct RecordedCall {
  std::string function; // "encode" or "decode_step"
  std::vector<EvalValue> args;
  std::vector<EvalValue> results;
};

// Evaluates, on `module` built for `spec`: @encode of a batch of 3 random
// sources with lengths 5, 2 and 4 (so rows are padded), then three
// @decode_step calls that continue each other's self caches: 3 tokens at
// step 0, 2 tokens at step 3 and 1 token at step 5 (several queries after
// cached keys, so the causal offset matters), the later two with origins
// that reorder and repeat rows and with rows reading other sentences'
// cross K/V. Ids come from a generator seeded with `seed`.
llvm::Expected<std::vector<RecordedCall>>
recordCalls(mlir::ModuleOp module, const ModelSpec &spec,
            const WeightSource &weights, unsigned seed);

// @encode's `results` with every position past its sentence's length
// zeroed: those rows are padding (ir/ModuleConventions.h), which a pass may
// fill with anything (pack-tokens leaves zeros). The position axis is 1 of
// the [b, s, d] memory and 2 of the [b, h, s, dh] cross K/V.
std::vector<EvalValue> withoutPadding(llvm::ArrayRef<EvalValue> results,
                                      llvm::ArrayRef<int32_t> lengths);

// Empty when `actual` matches `expected` in count, shapes and every element
// within `relative` of the larger magnitude (magnitudes below 1e-2 count as
// 1e-2); otherwise the number of differing elements and the first of them.
std::string compareResults(llvm::ArrayRef<EvalValue> expected,
                           llvm::ArrayRef<EvalValue> actual,
                           double relative = 1e-5);

} // namespace txc::testing
