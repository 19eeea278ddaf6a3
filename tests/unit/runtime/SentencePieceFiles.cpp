#include "SentencePieceFiles.h"

#include "TinyModel.h"

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace txc::runtime::testing {
namespace {

// Trains the model once; returns the path of the .model file.
const std::string &trainedModel() {
  static const std::string path = [] {
    std::string dir = makeTempDir("spm-train");
    std::ofstream corpus(dir + "/corpus.txt");
    const char *lines[] = {"the cat sat on the mat", "a dog ran to the cat",
                           "the mat is red", "a red dog sat on a mat",
                           "the cat ran", "dogs and cats are pets",
                           "on the red mat the dog sat", "pets sat on mats"};
    for (int i = 0; i < 20; ++i)
      for (const char *l : lines)
        corpus << l << "\n";
    corpus.close();
    auto status = sentencepiece::SentencePieceTrainer::Train(
        "--input=" + dir + "/corpus.txt --model_prefix=" + dir +
        "/sp --vocab_size=40 --model_type=bpe --character_coverage=1.0 "
        "--hard_vocab_limit=false --minloglevel=2");
    EXPECT_TRUE(status.ok()) << status.ToString();
    return dir + "/sp.model";
  }();
  return path;
}

} // namespace

TokenizerFiles writeTokenizerFiles(const std::string &dir) {
  const std::string &model = trainedModel();
  std::filesystem::copy_file(model, dir + "/source.spm",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(model, dir + "/target.spm",
                             std::filesystem::copy_options::overwrite_existing);
  sentencepiece::SentencePieceProcessor sp;
  EXPECT_TRUE(sp.Load(model).ok());
  TokenizerFiles files;
  files.vocab = {{"<pad>", 0}, {"</s>", 1}, {"<unk>", 2}};
  // Ordinary pieces get ids in reverse SentencePiece order.
  std::vector<std::string> pieces;
  for (int i = 0; i < sp.GetPieceSize(); ++i)
    if (!sp.IsControl(i) && !sp.IsUnknown(i))
      pieces.push_back(sp.IdToPiece(i));
  for (size_t i = 0; i < pieces.size(); ++i)
    files.vocab[pieces[pieces.size() - 1 - i]] = static_cast<int32_t>(3 + i);
  files.vocab[">>fr<<"] = static_cast<int32_t>(3 + pieces.size());
  files.vocabSize = 4 + static_cast<int64_t>(pieces.size());
  std::ofstream(dir + "/vocab.json") << nlohmann::json(files.vocab).dump();
  return files;
}

} // namespace txc::runtime::testing
