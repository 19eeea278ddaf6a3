// Fixture files for the frontend tests: a scratch directory per test and
// builders for safetensors files, valid or deliberately broken.
#pragma once

#include "frontend/Safetensors.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace txc::test {

// A fresh directory, removed with everything in it when the test ends.
class ScratchDir {
public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;

  const std::string &path() const { return root; }
  // The absolute path of `relative` inside the directory.
  std::string file(const std::string &relative) const;
  // Writes `contents` to `relative` (creating parent directories) and
  // returns its path.
  std::string write(const std::string &relative,
                    const std::string &contents) const;

private:
  std::string root;
};

// The bytes of a safetensors file with this exact header text and data.
std::string rawSafetensors(const std::string &header, const std::string &data);

// F32 tensors to write with writeSafetensors; owns their values.
class TensorSet {
public:
  // Adds `name` filled with first, first + 1, ...; returns its values.
  const std::vector<float> &add(const std::string &name,
                                std::vector<int64_t> shape, float first);
  void add(const std::string &name, std::vector<int64_t> shape,
           std::vector<float> values);
  // Writes the set, failing the test on error.
  void write(const std::string &path) const;

private:
  std::deque<std::vector<float>> values;
  std::vector<SafetensorsTensor> tensors;
};

// The message of a failed result; fails the test when it succeeded.
std::string errorMessage(llvm::Error error);
template <typename T> std::string errorMessage(llvm::Expected<T> result) {
  if (result) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return errorMessage(result.takeError());
}

// The value of a successful result; fails the test (and returns a default)
// otherwise.
template <typename T> T valueOf(llvm::Expected<T> result) {
  if (!result) {
    ADD_FAILURE() << llvm::toString(result.takeError());
    return T();
  }
  return std::move(*result);
}

} // namespace txc::test
