// Marian-style tokenizer files for tests: a small SentencePiece model
// trained once per process, written as source.spm and target.spm, and a
// vocab.json whose ids differ from SentencePiece's own.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace txc::runtime::testing {

struct TokenizerFiles {
  std::map<std::string, int32_t> vocab; // what vocab.json holds
  int64_t vocabSize = 0;                // 1 + the largest id
  // vocab ids: <pad> 0, </s> 1, <unk> 2, ">>fr<<" vocabSize - 1.
};

// Writes the files into `dir` and returns what vocab.json holds.
TokenizerFiles writeTokenizerFiles(const std::string &dir);

// A sentence the SentencePiece model splits into several known pieces.
inline constexpr const char *kKnownSentence = "the cat sat on the mat";

} // namespace txc::runtime::testing
