#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace txc::runtime;

namespace {

TEST(Npy, HeaderBytesForAMatrix) {
  std::string h = npyFloat32Header({2, 3});
  ASSERT_EQ(h.size(), 128u);
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(static_cast<unsigned char>(h[8]), 118u); // 128 - 10
  EXPECT_EQ(h[9], '\0');
  std::string dict = "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2, 3), }";
  EXPECT_EQ(h.substr(10, dict.size()), dict);
  EXPECT_EQ(h.back(), '\n');
  for (size_t i = 10 + dict.size(); i + 1 < h.size(); ++i)
    EXPECT_EQ(h[i], ' ') << "at " << i;
}

TEST(Npy, OneDimensionalShapeKeepsItsComma) {
  std::string h = npyFloat32Header({5});
  EXPECT_NE(h.find("'shape': (5,), }"), std::string::npos);
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_NE(npyFloat32Header({}).find("'shape': (), }"), std::string::npos);
}

TEST(Npy, LongShapesPadToTheNextMultipleOf64) {
  std::vector<int64_t> shape(7, 123456789); // a 130-character dict
  std::string h = npyFloat32Header(shape);
  EXPECT_EQ(h.size(), 192u);
  EXPECT_EQ(static_cast<unsigned char>(h[8]) | (h[9] << 8), 182);
}

TEST(Npy, WritesHeaderThenData) {
  std::string path =
      ::testing::TempDir() + "npy_test_" + std::to_string(::getpid()) + ".npy";
  const float data[6] = {1, 2, 3, 4, 5, -6.5f};
  Status s = writeNpyFloat32(path, {3, 2}, data);
  ASSERT_TRUE(s.ok()) << s.message();
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  std::string header = npyFloat32Header({3, 2});
  ASSERT_EQ(bytes.size(), header.size() + sizeof(data));
  EXPECT_EQ(bytes.substr(0, header.size()), header);
  EXPECT_EQ(std::memcmp(bytes.data() + header.size(), data, sizeof(data)), 0);
}

TEST(Npy, UnwritablePathIsAnError) {
  const float x = 0;
  Status s = writeNpyFloat32("/nonexistent-dir/x.npy", {1}, &x);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/x.npy"), std::string::npos);
}

} // namespace
