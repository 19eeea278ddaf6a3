//===- KernelCompilerTest.cpp - ahead-of-time kernels link and run --------===//

#include "ReferenceKernels.h"

#include "codegen/KernelCompiler.h"
#include "codegen/WeightPacking.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace txc::codegen {
namespace {

namespace fs = std::filesystem;
using testing::Floats;

// A fresh directory, removed with everything in it at the end of the test.
class ScratchDirectory {
public:
  ScratchDirectory() {
    path_ = fs::temp_directory_path() /
            ("txc-codegen-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string &name) const { return path_ / name; }

private:
  static inline int counter_ = 0;
  fs::path path_;
};

void writeFloats(std::ofstream &out, const Floats &values) {
  out.write(reinterpret_cast<const char *>(values.data()),
            std::streamsize(values.size() * sizeof(float)));
}

// Calls the compiled GEMM through the C ABI, as the runtime will: reads x,
// packed weights and bias from argv[1], writes the output to argv[2].
const char *kGemmDriver = R"(
#include "txc_test_gemm.h"
#include <HalideRuntime.h>
#include <cstdio>
#include <vector>

enum { M = 7, N = 40, K = 24, P = PANEL, PANELS = (N + P - 1) / P };

halide_buffer_t buffer(float *data, halide_dimension_t *dims, int rank) {
  halide_buffer_t b = {};
  b.host = reinterpret_cast<uint8_t *>(data);
  b.type = halide_type_t(halide_type_float, 32);
  b.dimensions = rank;
  b.dim = dims;
  return b;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  std::vector<float> x(M * K), w(PANELS * K * P), bias(N), out(M * N);
  FILE *in = std::fopen(argv[1], "rb");
  if (!in || std::fread(x.data(), 4, x.size(), in) != x.size() ||
      std::fread(w.data(), 4, w.size(), in) != w.size() ||
      std::fread(bias.data(), 4, bias.size(), in) != bias.size()) return 3;
  std::fclose(in);
  halide_dimension_t xd[2] = {{0, K, 1, 0}, {0, M, K, 0}};
  halide_dimension_t wd[3] = {{0, P, 1, 0}, {0, K, P, 0}, {0, PANELS, K * P, 0}};
  halide_dimension_t bd[1] = {{0, N, 1, 0}};
  halide_dimension_t od[2] = {{0, N, 1, 0}, {0, M, N, 0}};
  halide_buffer_t xb = buffer(x.data(), xd, 2), wb = buffer(w.data(), wd, 3),
                  bb = buffer(bias.data(), bd, 1), ob = buffer(out.data(), od, 2);
  int error = txc_test_gemm(&xb, &wb, &bb, &ob);
  if (error) return 4;
  FILE *result = std::fopen(argv[2], "wb");
  if (!result || std::fwrite(out.data(), 4, out.size(), result) != out.size())
    return 5;
  std::fclose(result);
  return 0;
}
)";

TEST(KernelCompiler, AheadOfTimeGemmLinksIntoASharedLibraryAndRuns) {
  const int m = 7, n = 40, k = 24;
  TargetInfo host = describeTarget("host");
  ASSERT_TRUE(host.ok) << host.message;
  const int panel = host.gemmPanelWidth;

  ScratchDirectory dir;
  GemmParams params;
  params.n = n;
  params.k = k;
  params.bias = true;
  params.activation = Activation::Relu;
  CompileResult kernel =
      compileKernel(params, "txc_test_gemm", dir.file("txc_test_gemm"), {});
  ASSERT_TRUE(kernel.ok) << kernel.message;
  CompileResult runtime =
      compileHalideRuntime("host", dir.file("halide_runtime.o"));
  ASSERT_TRUE(runtime.ok) << runtime.message;

  std::ofstream(dir.file("driver.cpp"))
      << "#define PANEL " << panel << "\n" << kGemmDriver;
  std::string cxx = TXC_TEST_CXX;
  std::string link = cxx + " -shared -o " + dir.file("libtxc_test.so") + " " +
                     dir.file("txc_test_gemm.o") + " " +
                     dir.file("halide_runtime.o") + " -lpthread -ldl";
  ASSERT_EQ(std::system(link.c_str()), 0) << link;
  std::string build = cxx + " -std=c++17 -I" + dir.file("") + " -I" +
                      TXC_HALIDE_INCLUDE_DIR + " " + dir.file("driver.cpp") +
                      " -o " + dir.file("driver") + " -L" + dir.file("") +
                      " -ltxc_test -Wl,-rpath," + dir.file("");
  ASSERT_EQ(std::system(build.c_str()), 0) << build;

  std::mt19937 rng(71);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  auto random = [&](size_t count) {
    Floats values(count);
    for (float &value : values)
      value = uniform(rng);
    return values;
  };
  Floats x = random(size_t(m) * k), weight = random(size_t(n) * k),
         bias = random(n);
  Floats packed(packedGemmWeightSize(n, k, panel));
  ASSERT_TRUE(packGemmWeight(weight.data(), n, k, panel, packed.data()));
  {
    std::ofstream input(dir.file("input.bin"), std::ios::binary);
    writeFloats(input, x);
    writeFloats(input, packed);
    writeFloats(input, bias);
  }
  std::string run = dir.file("driver") + " " + dir.file("input.bin") + " " +
                    dir.file("output.bin");
  ASSERT_EQ(std::system(run.c_str()), 0) << run;

  Floats out(size_t(m) * n);
  std::ifstream result(dir.file("output.bin"), std::ios::binary);
  result.read(reinterpret_cast<char *>(out.data()),
              std::streamsize(out.size() * sizeof(float)));
  ASSERT_TRUE(result.good());
  Floats want =
      testing::referenceLinear(x, weight, bias, m, n, k, Activation::Relu);
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(out[i], want[i], 1e-4 * std::max(1.0f, std::fabs(want[i])))
        << "element " << i;
}

TEST(KernelCompiler, EmitsLoweredStatementAssemblyAndStaticLibrary) {
  ScratchDirectory dir;
  ElementwiseParams params;
  params.activation = Activation::Gelu;
  KernelCompileOptions options;
  options.target = "x86-64-linux-avx2-fma";
  options.noAsserts = true;
  options.outputs = {true, true, true, true, true};
  std::string prefix = dir.file("txc_gelu");
  CompileResult result = compileKernel(params, "txc_gelu", prefix, options);
  ASSERT_TRUE(result.ok) << result.message;
  for (const char *extension : {".o", ".h", ".a", ".stmt.html", ".s"})
    EXPECT_GT(fs::file_size(prefix + extension), 0u) << extension;
  std::ifstream assembly(prefix + ".s");
  std::string text((std::istreambuf_iterator<char>(assembly)),
                   std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("txc_gelu"), std::string::npos);
  EXPECT_NE(text.find("ymm"), std::string::npos) << "AVX2 code expected";
}

TEST(KernelCompiler, ReportsBadInputsAsValues) {
  ScratchDirectory dir;
  GemmParams bad;
  bad.n = 0;
  bad.k = 4;
  CompileResult spec = compileKernel(bad, "f", dir.file("f"), {});
  EXPECT_FALSE(spec.ok);
  EXPECT_NE(spec.message.find("n must be"), std::string::npos) << spec.message;

  CompileResult name =
      compileKernel(ElementwiseParams{}, "9lives", dir.file("g"), {});
  EXPECT_FALSE(name.ok);
  EXPECT_NE(name.message.find("9lives"), std::string::npos) << name.message;

  KernelCompileOptions options;
  options.target = "sparc-solaris-nonsense";
  CompileResult target =
      compileKernel(ElementwiseParams{}, "h", dir.file("h"), options);
  EXPECT_FALSE(target.ok);
  EXPECT_NE(target.message.find("sparc-solaris-nonsense"), std::string::npos)
      << target.message;
  EXPECT_EQ(target.message.find('\n'), std::string::npos);

  GemmParams ragged;
  ragged.n = 8;
  ragged.k = 8;
  ragged.panelWidth = describeTarget("host").vectorWidth + 1;
  CompileResult panel = compileKernel(ragged, "p", dir.file("p"), {});
  EXPECT_FALSE(panel.ok);
  EXPECT_NE(panel.message.find("panel width"), std::string::npos)
      << panel.message;
}

TEST(KernelCompiler, DescribesTargets) {
  TargetInfo avx2 = describeTarget("x86-64-linux-avx2-fma");
  ASSERT_TRUE(avx2.ok) << avx2.message;
  EXPECT_EQ(avx2.vectorWidth, 8);
  EXPECT_EQ(avx2.gemmPanelWidth, 16);
  TargetInfo avx512 = describeTarget("x86-64-linux-avx2-fma-avx512");
  ASSERT_TRUE(avx512.ok) << avx512.message;
  EXPECT_EQ(avx512.vectorWidth, 16);
  EXPECT_FALSE(describeTarget("no-such-target").ok);
}

} // namespace
} // namespace txc::codegen
