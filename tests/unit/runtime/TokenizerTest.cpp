#include "runtime/Tokenizer.h"

#include "SentencePieceFiles.h"
#include "TinyModel.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

ModelInfo marianModel(int64_t vocab) {
  ModelInfo m;
  m.name = "marian";
  m.sourceVocab = m.targetVocab = vocab;
  m.pad = 0;
  m.eos = 1;
  m.unk = 2;
  m.sourceSpm = "source.spm";
  m.targetSpm = "target.spm";
  m.vocabJson = "vocab.json";
  return m;
}

TEST(Tokenizer, MapsPiecesThroughVocabJson) {
  std::string dir = makeTempDir("tokenizer");
  TokenizerFiles files = writeTokenizerFiles(dir);
  std::unique_ptr<Tokenizer> t;
  Status s = Tokenizer::open(marianModel(files.vocabSize), dir, t);
  ASSERT_TRUE(s.ok()) << s.message();

  std::vector<int32_t> ids = t->encode(kKnownSentence);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.back(), 1); // </s>
  for (int32_t id : ids)
    EXPECT_NE(id, 2) << "no piece of a corpus sentence is unknown";
  ids.pop_back();
  EXPECT_EQ(t->decode(ids), kKnownSentence);

  std::vector<int32_t> coded = t->encode(">>fr<< the cat");
  EXPECT_EQ(coded.front(), files.vocab.at(">>fr<<"));
  // Special ids are left out of the text.
  ids.insert(ids.begin(), {0, 2});
  ids.push_back(1);
  EXPECT_EQ(t->decode(ids), kKnownSentence);
}

TEST(Tokenizer, UnknownPiecesBecomeUnk) {
  std::string dir = makeTempDir("tokenizer-unk");
  TokenizerFiles files = writeTokenizerFiles(dir);
  // "q" never occurs in the training text.
  std::unique_ptr<Tokenizer> t;
  ASSERT_TRUE(Tokenizer::open(marianModel(files.vocabSize), dir, t).ok());
  std::vector<int32_t> ids = t->encode("q");
  EXPECT_NE(std::find(ids.begin(), ids.end(), 2), ids.end());
}

TEST(Tokenizer, ReportsMissingFiles) {
  ModelInfo m = marianModel(10);
  m.sourceSpm.clear();
  std::unique_ptr<Tokenizer> t;
  Status s = Tokenizer::open(m, "/tmp", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("pass --ids"), std::string::npos);
  s = Tokenizer::open(marianModel(10), "/nonexistent", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/source.spm"), std::string::npos)
      << s.message();
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(isValidUtf8("plain"));
  EXPECT_TRUE(isValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xff"));
  EXPECT_FALSE(isValidUtf8("caf\xc3"));         // truncated
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));        // overlong
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));    // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80")); // past U+10FFFF
}

} // namespace
