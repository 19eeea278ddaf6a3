#include "runtime/WeightFile.h"
#include "runtime/WeightFileWriter.h"

#include "TinyModel.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace txc::runtime;
using namespace txc::runtime::testing;

namespace {

// A safetensors file with `header` as its JSON and `dataBytes` zero bytes.
std::string rawFile(const std::string &name, const std::string &header,
                    size_t dataBytes) {
  std::string path = makeTempDir("weights-raw") + "/" + name;
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << std::string(dataBytes, '\0');
  return path;
}

std::string openError(const std::string &path) {
  std::unique_ptr<WeightFile> file;
  Status s = WeightFile::open(path, file);
  EXPECT_FALSE(s.ok()) << path;
  EXPECT_EQ(s.message().rfind(path, 0), 0u) << s.message();
  return s.message();
}

std::string writeTwoTensors(const std::string &dir) {
  static std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9};
  std::string path = dir + "/w.safetensors";
  Status s = writeWeightFile(path, {{"a", {2, 3}, a.data()}, {"b", {3}, b.data()}},
                             {{kModelMetadataKey, "tiny"}});
  EXPECT_TRUE(s.ok()) << s.message();
  return path;
}

TEST(WeightFile, ReadsWhatTheWriterWrites) {
  std::string path = writeTwoTensors(makeTempDir("weights-ok"));
  std::unique_ptr<WeightFile> file;
  Status s = WeightFile::open(path, file);
  ASSERT_TRUE(s.ok()) << s.message();
  const WeightTable &t = file->tensors();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.at("a").shape, (Dims{2, 3}));
  EXPECT_EQ(t.at("a").f32()[5], 6.0f);
  EXPECT_EQ(t.at("b").f32()[0], 7.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.at("b").data) % 64, 0u);
  EXPECT_EQ(file->metadata().at(kModelMetadataKey), "tiny");
}

// The int8 screen is stored as i32 words: the dtype survives the trip.
TEST(WeightFile, ReadsI32TensorsAsI32) {
  std::string path = makeTempDir("weights-i32") + "/w.safetensors";
  static std::vector<int32_t> words = {-1, 0x7f80ff01, 3};
  static std::vector<float> f = {0.5f};
  NamedTensor screen{"s", {3}, words.data(), DType::I32};
  ASSERT_TRUE(writeWeightFile(path, {screen, {"f", {1}, f.data()}}, {}).ok());
  std::unique_ptr<WeightFile> file;
  Status s = WeightFile::open(path, file);
  ASSERT_TRUE(s.ok()) << s.message();
  const WeightTable &t = file->tensors();
  EXPECT_EQ(t.at("s").dtype, DType::I32);
  EXPECT_EQ(t.at("s").i32()[1], 0x7f80ff01);
  EXPECT_EQ(t.at("s").i32()[0], -1);
  EXPECT_EQ(t.at("f").dtype, DType::F32);
}

TEST(WeightFile, RejectsTruncatedFiles) {
  std::string path = writeTwoTensors(makeTempDir("weights-trunc"));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);
  EXPECT_NE(openError(path).find("tensor 'b': data [64, 76) lies outside the 72 "
                                 "data bytes (file truncated?)"),
            std::string::npos)
      << openError(path);
  std::filesystem::resize_file(path, 5);
  EXPECT_NE(openError(path).find("truncated"), std::string::npos);
  std::string lying = rawFile("lying.safetensors", "{}", 0);
  std::filesystem::resize_file(lying, 8);
  std::ofstream(lying, std::ios::binary | std::ios::in) << "\xff\xff";
  EXPECT_NE(openError(lying).find("the header claims"), std::string::npos);
  EXPECT_NE(openError("/nonexistent/w.safetensors").find("cannot open"),
            std::string::npos);
}

TEST(WeightFile, RejectsOtherDtypesBadOffsetsAndMisalignment) {
  auto header = [&](const std::string &entry) {
    std::string h = "{" + entry + "}";
    return h + std::string((64 - (8 + h.size()) % 64) % 64, ' ');
  };
  EXPECT_NE(openError(rawFile("f16.safetensors",
                              header(R"("x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]})"),
                              64))
                .find("tensor 'x': dtype \"F16\", txc weight files hold F32 or I32"),
            std::string::npos);
  EXPECT_NE(openError(rawFile("size.safetensors",
                              header(R"("x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]})"),
                              64))
                .find("8 bytes of data for shape [3] (12 expected)"),
            std::string::npos);
  EXPECT_NE(openError(rawFile("align.safetensors",
                              header(R"("x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]})"),
                              64))
                .find("not 64-byte aligned"),
            std::string::npos);
  EXPECT_NE(openError(rawFile("json.safetensors", "{\"x\": [", 64)).find("not a JSON"),
            std::string::npos);
}

TEST(WeightFile, MatchesThePlan) {
  TinyModel m = buildTinyModel();
  std::string dir = makeTempDir("weights-plan");
  m.writeTo(dir);
  std::unique_ptr<WeightFile> file;
  ASSERT_TRUE(WeightFile::open(dir + "/weights.safetensors", file).ok());
  Status s = checkWeightsMatchPlan(*file, m.plan);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(WeightFile, NamesTheMissingOrMisshapenWeight) {
  TinyModel m = buildTinyModel();
  std::string dir = makeTempDir("weights-missing");
  m.tensors.erase("decoder.layers.1.fc2.bias");
  m.writeTo(dir);
  std::unique_ptr<WeightFile> file;
  ASSERT_TRUE(WeightFile::open(dir + "/weights.safetensors", file).ok());
  Status s = checkWeightsMatchPlan(*file, buildTinyModel().plan);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("weight 'decoder.layers.1.fc2.bias' is missing"),
            std::string::npos)
      << s.message();

  TinyModel n = buildTinyModel();
  n.tensors["encoder.layers.0.fc1.bias"].first = {4, 4};
  n.writeTo(dir);
  ASSERT_TRUE(WeightFile::open(dir + "/weights.safetensors", file).ok());
  s = checkWeightsMatchPlan(*file, buildTinyModel().plan);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'encoder.layers.0.fc1.bias' is [4, 4], the plan "
                             "expects [16]"),
            std::string::npos)
      << s.message();
}

TEST(WeightFile, AnotherModelsWeightsGiveOneError) {
  TinyModelConfig other;
  other.dModel = 12;
  other.heads = 3;
  TinyModel big = buildTinyModel(other);
  big.plan.model.name = "other";
  std::string dir = makeTempDir("weights-other");
  big.writeTo(dir);
  std::unique_ptr<WeightFile> file;
  ASSERT_TRUE(WeightFile::open(dir + "/weights.safetensors", file).ok());
  Status s = checkWeightsMatchPlan(*file, buildTinyModel().plan);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("holds the weights of model 'other', not of 'tiny'"),
            std::string::npos)
      << s.message();

  // Without the model name, the shapes tell.
  std::vector<NamedTensor> list;
  for (auto &[name, t] : big.tensors)
    list.push_back({name, t.first, t.second.data()});
  ASSERT_TRUE(writeWeightFile(dir + "/anon.safetensors", list, {}).ok());
  ASSERT_TRUE(WeightFile::open(dir + "/anon.safetensors", file).ok());
  s = checkWeightsMatchPlan(*file, buildTinyModel().plan);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not hold the weights of model 'tiny': "),
            std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

} // namespace
