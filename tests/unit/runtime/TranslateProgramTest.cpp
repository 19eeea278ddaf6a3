// Runs the linked `translate` program (with no kernels) on a model
// directory, as users do.
#include "TinyModel.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace txc::runtime::testing;

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command` with `input` on stdin; returns the exit status.
int runShell(const std::string &dir, const std::string &command,
             const std::string &input) {
  std::ofstream(dir + "/input.txt") << input;
  std::string line = command + " < " + dir + "/input.txt > " + dir +
                     "/output.txt 2> " + dir + "/errors.txt";
  int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TranslateProgram, FindsTheModelBesideItself) {
  std::string dir = makeTempDir("program");
  TinyModel model = buildTinyModel();
  model.writeTo(dir);
  std::string program = dir + "/translate";
  std::filesystem::copy_file(TXC_TRANSLATE_RUNTIME_ONLY, program);

  EXPECT_EQ(runShell(dir, program + " --ids --beam 2", "3 4 5 1\n\n7 1\n"), 0)
      << readFile(dir + "/errors.txt");
  std::string beside = readFile(dir + "/output.txt");
  EXPECT_EQ(std::count(beside.begin(), beside.end(), '\n'), 3);

  // The same model named with --model-dir from elsewhere.
  EXPECT_EQ(runShell(dir,
                     std::string(TXC_TRANSLATE_RUNTIME_ONLY) +
                         " --ids --beam 2 --model-dir " + dir,
                     "3 4 5 1\n\n7 1\n"),
            0);
  EXPECT_EQ(readFile(dir + "/output.txt"), beside);

  EXPECT_EQ(runShell(dir, program + " --ids", "3 4 5 1\nx\n"), 1);
  EXPECT_EQ(readFile(dir + "/errors.txt"), "translate: <stdin>:2: column 1: 'x' is not a token id\n");
  EXPECT_EQ(std::count(beside.begin(), beside.end(), '\n'), 3);
}

} // namespace
