#include "runtime/Tokenizer.h"

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

namespace txc::runtime {

Tokenizer::Tokenizer()
    : source(std::make_unique<sentencepiece::SentencePieceProcessor>()),
      target(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}

Tokenizer::~Tokenizer() = default;

Status Tokenizer::open(const ModelInfo &model, const std::string &directory,
                       std::unique_ptr<Tokenizer> &out) {
  if (model.sourceSpm.empty() || model.targetSpm.empty() ||
      model.vocabJson.empty())
    return Status::failure("model '" + model.name +
                           "' has no tokenizer files (source.spm, target.spm, "
                           "vocab.json); pass --ids to translate token ids");
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  std::pair<sentencepiece::SentencePieceProcessor *, std::string> models[] = {
      {t->source.get(), directory + "/" + model.sourceSpm},
      {t->target.get(), directory + "/" + model.targetSpm}};
  for (auto &[processor, path] : models)
    if (auto status = processor->Load(path); !status.ok())
      return Status::failure(path + ": cannot load the SentencePiece model: " +
                             status.ToString());

  const std::string vocabPath = directory + "/" + model.vocabJson;
  std::ifstream in(vocabPath, std::ios::binary);
  if (!in)
    return Status::failure(vocabPath + ": cannot open the vocabulary");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json vocab = nlohmann::json::parse(text.str(), nullptr, false);
  if (vocab.is_discarded() || !vocab.is_object())
    return Status::failure(vocabPath + ": not a JSON object of piece ids");
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      return Status::failure(vocabPath + ": the id of piece '" + it.key() +
                             "' is not an integer");
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= std::max(model.sourceVocab, model.targetVocab))
      return Status::failure(vocabPath + ": piece '" + it.key() + "' has id " +
                             std::to_string(id) +
                             ", outside the model's vocabulary");
    t->pieceIds[it.key()] = static_cast<int32_t>(id);
    if (t->pieces.size() <= static_cast<size_t>(id))
      t->pieces.resize(id + 1);
    t->pieces[id] = it.key();
  }
  auto unk = t->pieceIds.find("<unk>");
  t->unk = unk != t->pieceIds.end() ? unk->second
                                    : static_cast<int32_t>(model.unk);
  t->eos = static_cast<int32_t>(model.eos);
  t->pad = static_cast<int32_t>(model.pad);
  out = std::move(t);
  return Status::success();
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<std::string> split;
  // A language code ">>xx<<" at the start is one token (HF's
  // remove_language_code: the greedy match reaches the last "<<").
  if (text.size() > 4 && text.substr(0, 2) == ">>") {
    size_t close = text.rfind("<<");
    if (close != std::string_view::npos && close > 2) {
      split.emplace_back(text.substr(0, close + 2));
      text.remove_prefix(close + 2);
    }
  }
  std::vector<std::string> encoded;
  source->Encode(std::string(text), &encoded).IgnoreError();
  split.insert(split.end(), encoded.begin(), encoded.end());
  std::vector<int32_t> ids;
  ids.reserve(split.size() + 1);
  for (const std::string &piece : split) {
    auto it = pieceIds.find(piece);
    ids.push_back(it == pieceIds.end() ? unk : it->second);
  }
  ids.push_back(eos);
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids) const {
  std::vector<std::string> selected;
  for (int32_t id : ids) {
    if (id == pad || id == eos || id == unk || id < 0 ||
        static_cast<size_t>(id) >= pieces.size() || pieces[id].empty())
      continue;
    selected.push_back(pieces[id]);
  }
  std::string text;
  target->Decode(selected, &text).IgnoreError();
  return text;
}

bool isValidUtf8(std::string_view text) {
  const auto *s = reinterpret_cast<const unsigned char *>(text.data());
  size_t i = 0, n = text.size();
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n)
      return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static const uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < minimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += extra + 1;
  }
  return true;
}

} // namespace txc::runtime
