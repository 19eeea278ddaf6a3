// Text to token ids and back as HF's MarianTokenizer does it: SentencePiece
// pieces (source.spm, target.spm) looked up in vocab.json (not the
// SentencePiece ids), unknown pieces as <unk>, </s> appended to the source.
#pragma once

#include "runtime/Plan.h"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace txc::runtime {

class Tokenizer {
public:
  // Loads the tokenizer files `model` names from `directory`. Fails if the
  // model has none or one does not load, naming the file.
  static Status open(const ModelInfo &model, const std::string &directory,
                     std::unique_ptr<Tokenizer> &out);
  ~Tokenizer();

  // The source ids of `text` (valid UTF-8): a leading language code such
  // as ">>fra<<" stays one piece, and EOS is appended.
  std::vector<int32_t> encode(std::string_view text) const;

  // The text of target ids; pad, EOS and unk are left out, as HF's decode
  // with skip_special_tokens does.
  std::string decode(const std::vector<int32_t> &ids) const;

private:
  Tokenizer();
  std::unique_ptr<sentencepiece::SentencePieceProcessor> source, target;
  std::unordered_map<std::string, int32_t> pieceIds;
  std::vector<std::string> pieces; // by id; "" where vocab.json has none
  int32_t unk = 0, eos = 0, pad = 0;
};

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF).
bool isValidUtf8(std::string_view text);

} // namespace txc::runtime
