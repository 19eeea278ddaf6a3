#include "runtime/TranslateCommand.h"

#include "SentencePieceFiles.h"
#include "TinyModel.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

std::vector<std::string> linesOf(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string joinIds(const std::vector<int32_t> &ids) {
  std::string s;
  for (int32_t id : ids)
    s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

struct CommandRun {
  int code = 0;
  std::string out, err;
};

struct CommandFixture {
  TinyModel model;
  std::string dir;

  explicit CommandFixture(const std::string &name,
                          TinyModelConfig config = TinyModelConfig())
      : model(buildTinyModel(config)), dir(makeTempDir(name)) {}

  void write() { model.writeTo(dir); }

  CommandRun run(std::vector<std::string> args, const std::string &input) {
    args.insert(args.begin(), {"translate", "--model-dir", dir});
    std::vector<const char *> argv;
    for (const std::string &a : args)
      argv.push_back(a.c_str());
    std::istringstream in(input);
    std::ostringstream out, err;
    CommandRun r;
    r.code = runTranslateCommand(static_cast<int>(argv.size()), argv.data(),
                                 nullptr, in, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // What the translator makes of `src` alone.
  std::string expected(const std::vector<int32_t> &src, int beam) {
    WeightTable weights = model.weights();
    std::unique_ptr<Translator> t;
    EXPECT_TRUE(Translator::create(model.plan, weights, {}, {}, t).ok());
    TranslateOptions o;
    o.search.beam = beam;
    std::vector<SentenceResult> r;
    EXPECT_TRUE(t->translate({src}, o, r).ok());
    return joinIds(r[0].hypotheses[0].ids);
  }
};

TEST(TranslateLines, OneOutputLinePerInputLine) {
  CommandFixture f("lines-ok");
  f.write();
  CommandRun r = f.run({"--ids", "--beam", "2"}, "3 4 5 1\n\n7 1\n  \n6 6 1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = linesOf(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0], f.expected({3, 4, 5, 1}, 2));
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], f.expected({7, 1}, 2));
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(lines[4], f.expected({6, 6, 1}, 2));
  EXPECT_NE(lines[0], lines[2]);
}

TEST(TranslateLines, BadLinesGetAMessageAndAnEmptyLine) {
  CommandFixture f("lines-bad");
  f.write();
  std::string tooLong = "2 2 2 2 2 2 2 2 2 2 2 2 2"; // 13 > max_positions 12
  CommandRun r = f.run({"--ids"}, "3 4 5 1\nfoo 1\n3 13\n" + tooLong + "\n7 1\n");
  EXPECT_EQ(r.code, 1);
  std::vector<std::string> lines = linesOf(r.out);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], f.expected({3, 4, 5, 1}, 4));
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "");
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(lines[4], f.expected({7, 1}, 4));
  std::vector<std::string> errors = linesOf(r.err);
  ASSERT_EQ(errors.size(), 3u) << r.err;
  EXPECT_EQ(errors[0], "translate: <stdin>:2: column 1: 'foo' is not a token id");
  EXPECT_EQ(errors[1].rfind("translate: <stdin>:3: column 3: token id 13 is outside", 0), 0u);
  EXPECT_EQ(errors[2].rfind("translate: <stdin>:4: more than 12 ids", 0), 0u) << errors[2];
}

TEST(TranslateLines, UsageErrors) {
  CommandFixture f("lines-usage");
  f.write();
  CommandRun r = f.run({"--ids", "--max-length", "13"}, "3 1\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("max length 13 exceeds the model's max_positions 12"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(f.run({"--ids", "--bogus"}, "").code, 2);
  EXPECT_EQ(f.run({"--ids", "--beam", "0"}, "").code, 2);
  EXPECT_EQ(f.run({"--ids", "--dump-logits", "x.npy"}, "").code, 2);
  CommandRun help = f.run({"--help"}, "");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--length-penalty"), std::string::npos);
  CommandRun noModel = CommandFixture("lines-nomodel").run({"--ids"}, "3 1\n");
  EXPECT_EQ(noModel.code, 2);
  EXPECT_NE(noModel.err.find("plan.json"), std::string::npos) << noModel.err;
}

TEST(TranslateLines, TextModeNeedsTokenizerFiles) {
  CommandFixture f("lines-notext");
  f.write();
  CommandRun r = f.run({}, "hello\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("pass --ids"), std::string::npos) << r.err;
}

TEST(TranslateLines, NBestJoinsHypotheses) {
  CommandFixture f("lines-nbest");
  f.write();
  CommandRun r = f.run({"--ids", "--beam", "3", "--n-best", "3", "--max-length", "4"},
                "3 4 5 1\n");
  EXPECT_EQ(r.code, 0) << r.err;
  std::string line = linesOf(r.out).at(0);
  size_t first = line.find(" ||| ");
  ASSERT_NE(first, std::string::npos) << line;
  EXPECT_NE(line.find(" ||| ", first + 1), std::string::npos) << line;
}

TEST(TranslateLines, DumpsLogits) {
  CommandFixture f("lines-logits");
  f.write();
  std::string npy = f.dir + "/logits.npy";
  CommandRun r = f.run({"--ids", "--beam", "1", "--min-length", "3", "--max-length", "3",
                 "--dump-logits", npy},
                "3 4 1\nbad\n7 1\n");
  EXPECT_EQ(r.code, 1);
  std::ifstream in(npy, std::ios::binary);
  ASSERT_TRUE(in.good());
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(bytes.find("'shape': (3, 3, 11)"), std::string::npos);
  ASSERT_GT(bytes.size(), 3 * 3 * 11 * 4u);
  size_t headerSize = bytes.size() - 3 * 3 * 11 * 4;
  EXPECT_EQ(headerSize % 64, 0u);
  const float *values = reinterpret_cast<const float *>(bytes.data() + headerSize);
  bool lineOneNonZero = false, lineTwoZero = true, lineThreeNonZero = false;
  for (int i = 0; i < 33; ++i) {
    lineOneNonZero |= values[i] != 0;
    lineTwoZero &= values[33 + i] == 0;
    lineThreeNonZero |= values[66 + i] != 0;
  }
  EXPECT_TRUE(lineOneNonZero);
  EXPECT_TRUE(lineTwoZero);
  EXPECT_TRUE(lineThreeNonZero);
}

TEST(TranslateLines, TextMode) {
  std::string dir = makeTempDir("lines-text-vocab");
  TokenizerFiles files = writeTokenizerFiles(dir);
  TinyModelConfig config;
  config.sourceVocab = config.targetVocab = files.vocabSize;
  config.maxPositions = 30;
  CommandFixture f("lines-text", config);
  f.model.plan.model.sourceSpm = "source.spm";
  f.model.plan.model.targetSpm = "target.spm";
  f.model.plan.model.vocabJson = "vocab.json";
  f.model.plan.model.unk = 2;
  f.write();
  writeTokenizerFiles(f.dir);
  CommandRun r = f.run({"--beam", "1", "--max-length", "5"},
                std::string(kKnownSentence) + "\ncaf\xc3\n\n>>fr<< the dog\n");
  EXPECT_EQ(r.code, 1);
  std::vector<std::string> lines = linesOf(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "");
  EXPECT_EQ(r.err, "translate: <stdin>:2: invalid UTF-8\n");
  // The ids path agrees with the text path.
  WeightTable weights = f.model.weights();
  std::unique_ptr<Translator> t;
  ASSERT_TRUE(Translator::create(f.model.plan, weights, {}, {}, t).ok());
  std::unique_ptr<Tokenizer> tokenizer;
  ASSERT_TRUE(Tokenizer::open(f.model.plan.model, f.dir, tokenizer).ok());
  TranslateOptions o;
  o.search.beam = 1;
  o.search.maxLength = 5;
  std::vector<SentenceResult> results;
  ASSERT_TRUE(t->translate({tokenizer->encode(kKnownSentence)}, o, results).ok());
  EXPECT_EQ(lines[0], tokenizer->decode(results[0].hypotheses[0].ids));
}

} // namespace
