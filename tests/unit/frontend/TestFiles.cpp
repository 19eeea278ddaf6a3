#include "TestFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace txc;
using namespace txc::test;

ScratchDir::ScratchDir() {
  llvm::SmallString<128> created;
  std::error_code ec =
      llvm::sys::fs::createUniqueDirectory("txc-frontend-test", created);
  if (ec)
    ADD_FAILURE() << "cannot create a scratch directory: " << ec.message();
  root = std::string(created);
}

ScratchDir::~ScratchDir() {
  if (!root.empty())
    (void)llvm::sys::fs::remove_directories(root);
}

std::string ScratchDir::file(const std::string &relative) const {
  llvm::SmallString<128> path(root);
  llvm::sys::path::append(path, relative);
  return std::string(path);
}

std::string ScratchDir::write(const std::string &relative,
                              const std::string &contents) const {
  std::string path = file(relative);
  std::error_code ec =
      llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
  EXPECT_FALSE(ec) << ec.message();
  llvm::raw_fd_ostream out(path, ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
  out << contents;
  return path;
}

std::string txc::test::rawSafetensors(const std::string &header,
                                      const std::string &data) {
  char length[8];
  llvm::support::endian::write64le(length, header.size());
  return std::string(length, sizeof length) + header + data;
}

const std::vector<float> &TensorSet::add(const std::string &name,
                                         std::vector<int64_t> shape,
                                         float first) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  std::vector<float> filled(static_cast<size_t>(count));
  for (size_t i = 0; i < filled.size(); ++i)
    filled[i] = first + float(i);
  add(name, std::move(shape), std::move(filled));
  return values.back();
}

void TensorSet::add(const std::string &name, std::vector<int64_t> shape,
                    std::vector<float> data) {
  values.push_back(std::move(data));
  tensors.push_back({name, std::move(shape), values.back()});
}

void TensorSet::write(const std::string &path) const {
  if (llvm::Error error = writeSafetensors(path, tensors))
    ADD_FAILURE() << llvm::toString(std::move(error));
}

std::string txc::test::errorMessage(llvm::Error error) {
  if (!error) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(std::move(error));
}
