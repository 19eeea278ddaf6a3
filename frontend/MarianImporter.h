// Hugging Face Marian (OPUS-MT) model directories: config.json,
// model.safetensors and the tokenizer files beside them.
#pragma once

#include "frontend/ModelSpec.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace txc {

// Builds the spec of the Marian model in `dir` (DESIGN.md, "Model formats").
// The result is post-norm (pre with the old key normalize_before), with
// sinusoidal positions in the "halves" layout whatever
// static_position_embeddings says (transformers' MarianMTModel always uses
// them), a tied output projection unless tie_word_embeddings is false, and
// output_bias set exactly when model.safetensors holds final_logits_bias —
// so the weights file must exist and is opened here. unk is vocab.json's
// "<unk>" when the file is present, else 1. The name is the directory's,
// made an identifier. Errors name config.json (or the file at fault).
llvm::Expected<ModelSpec> importMarianDirectory(llvm::StringRef dir);

} // namespace txc
