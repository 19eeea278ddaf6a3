//===- KernelParams.h - what each txc kernel computes ------------*- C++ -*-===//
//
// The plain description of every kernel kind the kernel library builds: the
// static model dimensions baked into the kernel, the options folded into it,
// and the schedule knobs. No Halide types here, so the passes and the driver
// can fill these in without Halide's headers.
//
// Shapes are written outermost first (row-major), as the runtime's tensors
// are. The compiled function takes one halide_buffer_t per tensor and one
// int32_t per scalar, in the order each struct lists under "Arguments",
// inputs first, outputs last. Halide numbers dimensions innermost first, so
// a [M, K] tensor is a buffer with dim[0] = K (stride 1), dim[1] = M.
// Every tensor's innermost dimension must be dense (stride 1); every
// dimension's min must be 0; every buffer's host pointer must be non-null,
// also for an empty tensor (Halide reads a null host as a bounds query and
// then computes nothing). Extents of 0 are fine.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace txc::codegen {

/// An extent that is only known when the kernel runs.
inline constexpr int64_t kDynamic = -1;

/// Elementwise function of a kernel's epilogue.
enum class Activation {
  None,
  Relu,     ///< max(x, 0)
  Gelu,     ///< x * Phi(x), erf form
  GeluTanh, ///< 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))
  Swish,    ///< x * sigmoid(x)
};

/// GEMM of txc.linear: out[m, n] = act(sum_k x[m, k] * W[n, k] + bias[n]).
/// M is dynamic (any value >= 0); N and K are static. W is read prepacked in
/// panels of `panelWidth` rows (WeightPacking.h).
/// Arguments: x [M, K] (rows dense: stride K), packed W [ceil(N/P), K, P],
/// bias [N] (when `bias`), out [M, N] (rows dense: stride N).
struct GemmParams {
  int64_t n = 0;      ///< output features
  int64_t k = 0;      ///< input features
  int panelWidth = 0; ///< P; 0 = the target's TargetInfo::gemmPanelWidth
  bool bias = false;
  Activation activation = Activation::None;
  /// Register tile rows (mr); 0 = as many as the target's registers hold
  /// (12 for AVX-512, 6 for AVX2), fewer for long rows (6 at K = 2048).
  int rowsPerTile = 0;
  /// Panels of N per parallel task; 0 = as many as keep a task's packed
  /// weights within half the L2 cache.
  int panelsPerTask = 0;
};

/// txc.matmul with the leading batch dimensions flattened into one:
/// out[b, m, n] = sum_k A[b, m, k] * B[b, k, n]. A is stored [b, k, m] when
/// `transposeA`, B is stored [b, n, k] when `transposeB`. Each of m, n, k is
/// a static extent or kDynamic; the batch is dynamic.
/// Arguments: a, b, out [batch, M, N] (rows dense).
struct BatchMatmulParams {
  int64_t m = kDynamic;
  int64_t n = kDynamic;
  int64_t k = kDynamic;
  bool transposeA = false;
  bool transposeB = false;
};

/// Softmax over the last axis of scores[b, h, q, k] * scale, where
/// `paddingMask` sets keys k >= lengths[b] to -inf and `causalMask` sets keys
/// k > q + offset to -inf. A row whose keys are all masked gives zeros.
/// All extents dynamic (pass a [R, C] matrix as [1, 1, R, C]).
/// Arguments: scores [B, H, Q, K], lengths [B] int32 (when paddingMask),
/// offset int32 scalar (when causalMask), out [B, H, Q, K].
struct SoftmaxParams {
  float scale = 1.0f;
  bool paddingMask = false;
  bool causalMask = false;
};

/// LayerNorm over the last axis, optionally of a residual sum:
/// s = x (+ residual); out = (s - mean) / sqrt(var + eps) * gamma + beta,
/// biased variance. Rows dynamic, features static.
/// Arguments: x [R, D], residual [R, D] (when `residual`), gamma [D], beta [D],
/// out [R, D], sum [R, D] (when `emitSum`: s itself, for pre-norm stacks that
/// keep the residual stream).
struct LayerNormParams {
  int64_t features = 0; ///< D
  double eps = 1e-5;
  bool residual = false;
  bool emitSum = false;
};

/// out = act(scale * (x [+ y])) elementwise over a dense tensor seen as one
/// dimension of dynamic extent: txc.relu/gelu/gelu_tanh/swish (scale 1, no y),
/// txc.add (`add`), txc.scale (`scale`).
/// Arguments: x [E], y [E] (when `add`), out [E].
struct ElementwiseParams {
  Activation activation = Activation::None;
  bool add = false;
  float scale = 1.0f;
};

/// Fused attention per batch row b and head h:
/// O[q, :] = softmax_k(scale * Q[q, :] . K[k, :], masked) . V[k, :], with
/// `paddingMask` (keys k >= lengths[b] excluded) and `causalMask` (keys
/// k > q + offset excluded). A query with every key masked gives zeros.
/// Softmax is computed online over blocks of `keyBlock` keys, so no score
/// matrix beyond a (query tile x key block) tile exists. Parallel over b x h.
/// Head dim static; B, H, Sq, Sk dynamic. K and V need dense rows only, so
/// they may be views of the first Sk positions of a larger KV cache.
/// Arguments: q [B, H, Sq, Dh], k [B, H, Sk, Dh], v [B, H, Sk, Dh],
/// lengths [B] int32 (when paddingMask), keyRows [B] int32 (when keyRows:
/// k and v are [Bk, H, Sk, Dh] and row b reads their row keyRows[b]),
/// offset int32 scalar (when causalMask), out [B, H, Sq, Dh] (dense rows,
/// any outer strides: a view of the merged [B, Sq, H * Dh] tensor).
struct AttentionParams {
  int64_t headDim = 0;
  float scale = 1.0f; ///< 1/sqrt(headDim) for a Transformer
  bool paddingMask = false;
  bool causalMask = false;
  /// Schedule for a decoder step: few queries per row (usually one) against
  /// a KV cache. Any Sq stays correct; many queries are slower.
  bool decodeStep = false;
  bool keyRows = false; ///< K/V rows chosen per query row (shared K/V)
  int keyBlock = 0;  ///< keys per online-softmax block; 0 = default
  int queryTile = 0; ///< queries per tile (prefill schedule); 0 = default
};

/// What a VocabReduceParams kernel computes over each row of logits.
enum class VocabReduction {
  LogSoftmax, ///< out [R, V] float
  Argmax,     ///< out [R] int32, the lowest id among the maxima; -1 when
              ///< every logit is -inf, -2 when one is NaN or +inf
};

/// Log-softmax or argmax over each row of logits [R, V], V static. The token
/// `masked_token` (no token when negative or >= V) counts as -inf, which is
/// how the decoder forbids EOS before the minimum length.
/// Arguments: logits [R, V], masked_token int32 scalar, out.
struct VocabReduceParams {
  int64_t vocab = 0;
  VocabReduction reduction = VocabReduction::LogSoftmax;
};

/// The int8 screen of txc.linear_argmax (runtime/VocabScreen.h): approximate
/// logits t_m s_n (sum_k u[m, k] q[n, k] - 128 sum_k q[n, k]) + bias[n],
/// x quantized per row as u = round(x * 127 / max|x|) + 128. N and K are
/// static, K a multiple of 4; M is dynamic.
/// Arguments: x [M, K], screen [ceil(N/P), K/4, 4P] int8, stats [4, N],
/// bias [N] (when `bias`), out [M, N].
struct ScreenLogitsParams {
  int64_t n = 0;
  int64_t k = 0;
  int panelWidth = 32;    ///< P: rows of W per panel, a vector multiple
  bool bias = false;
  int rowsPerTile = 8;    ///< register tile rows
  int panelsPerTask = 32; ///< panels per parallel task
};

/// One kernel of any kind.
using KernelSpec =
    std::variant<GemmParams, BatchMatmulParams, SoftmaxParams, LayerNormParams,
                 ElementwiseParams, AttentionParams, VocabReduceParams,
                 ScreenLogitsParams>;

/// Empty when `spec` describes a kernel the library can build; otherwise a
/// one-line reason naming the offending field.
std::string validateKernelSpec(const KernelSpec &spec);

/// A short name of the kernel kind ("gemm", "attention", ...), for messages.
const char *kernelKindName(const KernelSpec &spec);

} // namespace txc::codegen
