#include "frontend/Safetensors.h"

#include "TestFiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace txc;
using namespace txc::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

void appendLE(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(char((value >> (8 * i)) & 0xff));
}

void appendF32(std::string &out, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  appendLE(out, bits, 4);
}

TEST(SafetensorsTest, ReadsF32F16AndBF16AtUnalignedOffsets) {
  std::string data;
  for (float v : {1.0f, -2.0f, 3.5f, 1e-3f})
    appendF32(data, v); // a: [0, 16]
  for (uint16_t bits : {0x3C00, 0xC000, 0x3800, 0x0001})
    appendLE(data, bits, 2); // h: [16, 24]
  for (uint16_t bits : {0x3F80, 0xC060})
    appendLE(data, bits, 2); // b: [24, 28]
  data.push_back('\0');      // a hole, so u starts on an odd offset
  appendF32(data, 7.25f);    // u: [29, 33]
  appendLE(data, 42, 8);     // i: [33, 41]
  std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("u":{"dtype":"F32","shape":[1],"data_offsets":[29,33]},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("h":{"dtype":"F16","shape":[4],"data_offsets":[16,24]},)"
      R"("b":{"dtype":"BF16","shape":[2,1],"data_offsets":[24,28]},)"
      R"("i":{"dtype":"I64","shape":[1],"data_offsets":[33,41]}})";
  if ((8 + header.size()) % 2 == 0)
    header += ' '; // an odd data start misaligns every tensor
  ScratchDir dir;
  std::string path = dir.write("good.safetensors", rawSafetensors(header, data));

  std::unique_ptr<SafetensorsFile> file = valueOf(SafetensorsFile::open(path));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->path(), path);
  std::vector<std::string> names;
  for (const SafetensorsEntry &entry : file->entries())
    names.push_back(entry.name);
  EXPECT_THAT(names, ElementsAre("a", "h", "b", "u", "i"));

  const SafetensorsEntry *b = file->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, SafetensorsDType::BF16);
  EXPECT_THAT(b->shape, ElementsAre(2, 1));
  EXPECT_EQ(b->begin, 24u);
  EXPECT_EQ(b->end, 28u);
  EXPECT_EQ(file->find("__metadata__"), nullptr);
  EXPECT_EQ(file->find("missing"), nullptr);

  EXPECT_THAT(valueOf(file->readAsF32("a")),
              ElementsAre(1.0f, -2.0f, 3.5f, 1e-3f));
  EXPECT_THAT(valueOf(file->readAsF32("h")),
              ElementsAre(1.0f, -2.0f, 0.5f, std::ldexp(1.0f, -24)));
  EXPECT_THAT(valueOf(file->readAsF32("b")), ElementsAre(1.0f, -3.5f));
  EXPECT_THAT(valueOf(file->readAsF32("u")), ElementsAre(7.25f));
  EXPECT_EQ(errorMessage(file->readAsF32("i")),
            path + ": tensor 'i': dtype I64 cannot be read; txc reads F32, "
                   "F16 and BF16 tensors");
  EXPECT_EQ(errorMessage(file->readAsF32("nope")),
            path + ": no tensor named 'nope'");
}

TEST(SafetensorsTest, ConvertsHalfSpecialValues) {
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(halfToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  EXPECT_EQ(halfToFloat(0x8000), 0.0f);
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0x03FF), std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));    // smallest normal
  EXPECT_EQ(bfloat16ToFloat(0x4049), 3.140625f);
}

TEST(SafetensorsTest, WriterRoundTripsAndAlignsData) {
  ScratchDir dir;
  std::string path = dir.file("w.safetensors");
  TensorSet set;
  set.add("x.weight", {2, 3}, 10.0f);
  set.add("scalar", {}, 5.0f);
  set.add("empty", {0, 4}, std::vector<float>());
  set.write(path);

  std::unique_ptr<SafetensorsFile> file = valueOf(SafetensorsFile::open(path));
  ASSERT_TRUE(file);
  EXPECT_THAT(valueOf(file->readAsF32("x.weight")),
              ElementsAre(10, 11, 12, 13, 14, 15));
  EXPECT_THAT(file->find("x.weight")->shape, ElementsAre(2, 3));
  EXPECT_THAT(valueOf(file->readAsF32("scalar")), ElementsAre(5.0f));
  EXPECT_TRUE(file->find("scalar")->shape.empty());
  EXPECT_TRUE(valueOf(file->readAsF32("empty")).empty());

  auto contents = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(contents);
  uint64_t headerSize;
  std::memcpy(&headerSize, (*contents)->getBufferStart(), 8);
  EXPECT_EQ((8 + headerSize) % 8, 0u);
  EXPECT_EQ((*contents)->getBufferSize(), 8 + headerSize + 4 * 7);
}

TEST(SafetensorsTest, WriterRejectsBadTensors) {
  ScratchDir dir;
  std::string path = dir.file("w.safetensors");
  std::vector<float> three = {1, 2, 3};
  EXPECT_EQ(errorMessage(writeSafetensors(path, {{"t", {2, 2}, three}})),
            path + ": tensor 't': shape [2, 2] needs 4 values but 3 were "
                   "given");
  EXPECT_EQ(errorMessage(writeSafetensors(
                path, {{"t", {3}, three}, {"t", {3}, three}})),
            path + ": tensor 't': written twice");
  EXPECT_THAT(errorMessage(writeSafetensors(path, {{"t", {-1}, three}})),
              HasSubstr("tensor 't': invalid shape [-1]"));
  EXPECT_THAT(
      errorMessage(writeSafetensors(path, {{"__metadata__", {3}, three}})),
      HasSubstr("the name is reserved"));
  EXPECT_THAT(errorMessage(writeSafetensors(dir.file("no/such/dir/x"),
                                            {{"t", {3}, three}})),
              HasSubstr("cannot write"));
}

TEST(SafetensorsTest, RejectsFileShorterThanHeaderLength) {
  ScratchDir dir;
  std::string path = dir.write("short.safetensors", "12345");
  EXPECT_EQ(errorMessage(SafetensorsFile::open(path)),
            path + ": file has 5 bytes, too short for the 8-byte header "
                   "length that starts a safetensors file");
}

TEST(SafetensorsTest, RejectsHeaderLengthPastEndOfFile) {
  ScratchDir dir;
  std::string bytes = rawSafetensors("{}", "");
  bytes[0] = 100; // claims 100 header bytes; the file has 2 after the length
  std::string path = dir.write("long.safetensors", bytes);
  EXPECT_EQ(errorMessage(SafetensorsFile::open(path)),
            path + ": header length 100 runs past the end of the file (10 "
                   "bytes)");
  std::string huge(8, '\xff');
  path = dir.write("huge.safetensors", huge + "{}");
  EXPECT_THAT(errorMessage(SafetensorsFile::open(path)),
              HasSubstr("runs past the end of the file"));
}

TEST(SafetensorsTest, RejectsMissingFile) {
  ScratchDir dir;
  std::string path = dir.file("absent.safetensors");
  EXPECT_THAT(errorMessage(SafetensorsFile::open(path)),
              HasSubstr(path + ": cannot read: "));
}

struct MalformedHeader {
  const char *label;
  std::string header;
  size_t dataBytes;
  std::string expected; // the message after "<path>: "
};

void PrintTo(const MalformedHeader &c, std::ostream *os) { *os << c.label; }

class SafetensorsMalformedTest
    : public ::testing::TestWithParam<MalformedHeader> {};

TEST_P(SafetensorsMalformedTest, NamesFileAndTensor) {
  const MalformedHeader &c = GetParam();
  ScratchDir dir;
  std::string path =
      dir.write("model.safetensors",
                rawSafetensors(c.header, std::string(c.dataBytes, '\0')));
  EXPECT_EQ(errorMessage(SafetensorsFile::open(path)),
            path + ": " + c.expected);
}

const MalformedHeader kMalformedHeaders[] = {
    {"BadJson", R"({"x": {"dtype": "F32",})", 0,
     "header is not valid JSON: parse error at line 1, column 23: syntax "
     "error while parsing object key - unexpected '}'; expected string "
     "literal"},
    {"NotAnObject", "[1, 2]", 0, "header is not a JSON object"},
    {"MetadataNotAnObject", R"({"__metadata__": 3})", 0,
     "'__metadata__' is not a JSON object"},
    {"EntryNotAnObject", R"({"x.weight": [1]})", 0,
     "tensor 'x.weight': entry is not a JSON object"},
    {"MissingDtype", R"({"x.weight": {"shape": [1], "data_offsets": [0, 4]}})",
     4, "tensor 'x.weight': missing 'dtype'"},
    {"MissingShape",
     R"({"x.weight": {"dtype": "F32", "data_offsets": [0, 4]}})", 4,
     "tensor 'x.weight': missing 'shape'"},
    {"MissingOffsets", R"({"x.weight": {"dtype": "F32", "shape": [1]}})", 4,
     "tensor 'x.weight': missing 'data_offsets'"},
    {"DtypeNotString",
     R"({"x.weight": {"dtype": 4, "shape": [1], "data_offsets": [0, 4]}})", 4,
     "tensor 'x.weight': 'dtype' is not a string"},
    {"UnknownDtype",
     R"({"x.weight": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}})",
     4,
     "tensor 'x.weight': unknown dtype 'F33' (known: BOOL, U8, I8, F8_E5M2, "
     "F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)"},
    {"NegativeDim",
     R"({"x.weight": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 4]}})",
     4,
     "tensor 'x.weight': shape dimension 1 is -1; dimensions are "
     "non-negative integers"},
    {"FractionalDim",
     R"({"x.weight": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
     4,
     "tensor 'x.weight': shape dimension 0 is 1.5; dimensions are "
     "non-negative integers"},
    {"ShapeNotArray",
     R"({"x.weight": {"dtype": "F32", "shape": 4, "data_offsets": [0, 4]}})",
     4, "tensor 'x.weight': 'shape' is not an array"},
    {"OffsetsNotPair",
     R"({"x.weight": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})", 4,
     "tensor 'x.weight': data_offsets [4] is not two non-negative integers "
     "[begin, end]"},
    {"NegativeOffset",
     R"({"x.weight": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})",
     4,
     "tensor 'x.weight': data_offsets [-4,0] is not two non-negative "
     "integers [begin, end]"},
    {"BeginAfterEnd",
     R"({"x.weight": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})",
     8, "tensor 'x.weight': data_offsets [8, 4] begin after they end"},
    {"OutOfBounds",
     R"({"x.weight": {"dtype": "F32", "shape": [4], "data_offsets": [4, 20]}})",
     12,
     "tensor 'x.weight': data_offsets [4, 20] run past the end of the data "
     "section (12 bytes)"},
    {"SizeMismatch",
     R"({"x.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}})",
     16,
     "tensor 'x.weight': data_offsets [0, 12] hold 12 bytes but shape [2, 2] "
     "of F32 needs 16"},
    {"HugeShape",
     R"({"x": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})",
     0, "tensor 'x': shape [4294967296, 4294967296] is too large"},
    {"Overlap",
     R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},)"
     R"( "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
     24, "tensors 'a' [0, 16] and 'b' [8, 24] overlap"},
    {"OverlapInsideLargerTensor",
     R"({"big": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]},)"
     R"( "mid": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},)"
     R"( "end": {"dtype": "F32", "shape": [1], "data_offsets": [24, 28]}})",
     32, "tensors 'big' [0, 32] and 'mid' [4, 8] overlap"},
    {"DuplicateName",
     R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
     R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
     8, "tensor 'w': listed twice in the header"},
};

INSTANTIATE_TEST_SUITE_P(
    Headers, SafetensorsMalformedTest, ::testing::ValuesIn(kMalformedHeaders),
    [](const ::testing::TestParamInfo<MalformedHeader> &info) {
      return std::string(info.param.label);
    });

TEST(SafetensorsTest, EmptyTensorsDoNotOverlap) {
  ScratchDir dir;
  std::string header =
      R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
      R"( "e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}})";
  std::string path = dir.write("e.safetensors",
                               rawSafetensors(header, std::string(8, '\0')));
  std::unique_ptr<SafetensorsFile> file = valueOf(SafetensorsFile::open(path));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->entries().size(), 2u);
}

} // namespace
