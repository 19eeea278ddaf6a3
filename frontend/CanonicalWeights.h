// The weights a spec needs, under the canonical txc names the IR uses (HF
// BART/Marian names without the `model.` prefix), and where each is stored
// in a file under the spec's naming ("hf" or "torch").
#pragma once

#include "frontend/ModelSpec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace txc {

struct RequiredWeight {
  std::string name;           // canonical, e.g. "decoder.layers.0.fc1.weight"
  std::vector<int64_t> shape; // [out, in] for projections
  std::string neededBy;       // for messages: "encoder layer 1", ...
};

// Every weight `spec` uses, stack by stack, in a fixed order: embeddings,
// learned positions, embedding norm, layers, final norm; then lm_head.weight
// (always listed; it is the decoder embedding when tie_output) and
// final_logits_bias [1, target_vocab] when output_bias.
std::vector<RequiredWeight> requiredWeights(const ModelSpec &spec);

// Where a canonical weight lives in a weights file: the row block `part` of
// `parts` equal blocks along dim 0 of tensor `fileName` (torch stores Q, K
// and V stacked in one in_proj tensor; everything else is whole, parts = 1).
struct WeightLocation {
  std::string fileName;
  std::vector<int64_t> fileShape; // the shape the file tensor must have
  int64_t part = 0;
  int64_t parts = 1;
};

// The canonical name of the tied output projection.
constexpr const char *kOutputProjection = "lm_head.weight";

// Where `weight` (one of requiredWeights(spec)) is stored. `sharedEmbedding`
// says the file holds model.shared.weight, which then serves both token
// embeddings. Not meaningful for lm_head.weight when spec.tieOutput.
WeightLocation locateWeight(const ModelSpec &spec,
                            const RequiredWeight &weight,
                            bool sharedEmbedding);

} // namespace txc
