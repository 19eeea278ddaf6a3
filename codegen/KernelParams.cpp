//===- KernelParams.cpp - what each txc kernel computes -------------------===//

#include "codegen/KernelParams.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace txc::codegen {

namespace {

// Each check returns the problem with one spec kind, or "" when it is fine.

// Halide indexes with 32-bit integers.
constexpr int64_t kLargestExtent = std::numeric_limits<int32_t>::max();

std::string positive(const char *kind, const char *field, int64_t value) {
  if (value > 0 && value <= kLargestExtent)
    return "";
  return std::string(kind) + ": " + field + " must be in [1, 2^31), got " +
         std::to_string(value);
}

std::string staticOrDynamic(const char *kind, const char *field,
                            int64_t value) {
  if (value == kDynamic)
    return "";
  return positive(kind, field, value);
}

std::string notNegative(const char *kind, const char *field, int value) {
  if (value >= 0)
    return "";
  return std::string(kind) + ": " + field + " must be 0 (default) or " +
         "positive, got " + std::to_string(value);
}

std::string finite(const char *kind, const char *field, double value) {
  if (std::isfinite(value))
    return "";
  return std::string(kind) + ": " + field + " must be finite";
}

std::string firstProblem(std::initializer_list<std::string> problems) {
  for (const std::string &problem : problems)
    if (!problem.empty())
      return problem;
  return "";
}

std::string check(const GemmParams &p) {
  return firstProblem({positive("gemm", "n", p.n), positive("gemm", "k", p.k),
                       notNegative("gemm", "panelWidth", p.panelWidth),
                       notNegative("gemm", "rowsPerTile", p.rowsPerTile),
                       notNegative("gemm", "panelsPerTask", p.panelsPerTask)});
}

std::string check(const BatchMatmulParams &p) {
  return firstProblem({staticOrDynamic("batch_matmul", "m", p.m),
                       staticOrDynamic("batch_matmul", "n", p.n),
                       staticOrDynamic("batch_matmul", "k", p.k)});
}

std::string check(const SoftmaxParams &p) {
  return finite("softmax", "scale", p.scale);
}

std::string check(const LayerNormParams &p) {
  std::string problem = positive("layer_norm", "features", p.features);
  if (problem.empty() && !(p.eps > 0 && std::isfinite(p.eps)))
    problem = "layer_norm: eps must be positive and finite";
  return problem;
}

std::string check(const ElementwiseParams &p) {
  return finite("elementwise", "scale", p.scale);
}

std::string check(const AttentionParams &p) {
  return firstProblem({positive("attention", "headDim", p.headDim),
                       finite("attention", "scale", p.scale),
                       notNegative("attention", "keyBlock", p.keyBlock),
                       notNegative("attention", "queryTile", p.queryTile)});
}

std::string check(const VocabReduceParams &p) {
  return positive("vocab_reduce", "vocab", p.vocab);
}

std::string check(const ScreenLogitsParams &p) {
  std::string problem = firstProblem(
      {positive("screen_logits", "n", p.n), positive("screen_logits", "k", p.k),
       positive("screen_logits", "panelWidth", p.panelWidth),
       positive("screen_logits", "rowsPerTile", p.rowsPerTile),
       positive("screen_logits", "panelsPerTask", p.panelsPerTask)});
  // Sums of k products up to 255 * 127 must stay exact in f32 and i32.
  if (problem.empty() && (p.k % 4 != 0 || p.k > 1024))
    problem = "screen_logits: k must be a multiple of 4 and at most 1024, got " +
              std::to_string(p.k);
  return problem;
}

} // namespace

std::string validateKernelSpec(const KernelSpec &spec) {
  return std::visit([](const auto &params) { return check(params); }, spec);
}

const char *kernelKindName(const KernelSpec &spec) {
  return std::visit(
      [](const auto &params) -> const char * {
        using T = std::decay_t<decltype(params)>;
        if constexpr (std::is_same_v<T, GemmParams>)
          return "gemm";
        else if constexpr (std::is_same_v<T, BatchMatmulParams>)
          return "batch_matmul";
        else if constexpr (std::is_same_v<T, SoftmaxParams>)
          return "softmax";
        else if constexpr (std::is_same_v<T, LayerNormParams>)
          return "layer_norm";
        else if constexpr (std::is_same_v<T, ElementwiseParams>)
          return "elementwise";
        else if constexpr (std::is_same_v<T, AttentionParams>)
          return "attention";
        else if constexpr (std::is_same_v<T, ScreenLogitsParams>)
          return "screen_logits";
        else
          return "vocab_reduce";
      },
      spec);
}

} // namespace txc::codegen
