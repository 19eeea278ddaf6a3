#include "runtime/BuiltinOps.h"

#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cstring>

namespace txc::runtime::builtins {
namespace {

inline float dot(const float *a, const float *b, int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i)
    s += a[i] * b[i];
  return s;
}

// Offset of batch item `b` of a tensor whose leading rank-2 dims are the
// batch dims.
int64_t batchOffset(const TensorView &t, int64_t b) {
  int64_t offset = 0;
  for (int d = t.rank() - 3; d >= 0; --d) {
    offset += (b % t.shape[d]) * t.strides[d];
    b /= t.shape[d];
  }
  return offset;
}

// Tiles of the output that keep a block of weight rows in cache while a
// block of input rows passes over it.
constexpr int64_t kRowTile = 32, kColTile = 64;

} // namespace

Status linear(const PlanStep &step, const Operands &ops,
              const TensorView &out) {
  const TensorView &x = ops[0].tensor, &w = ops[1].tensor;
  const float *bias = ops[2].present ? ops[2].tensor.f32() : nullptr;
  const int64_t k = w.shape[1], n = w.shape[0];
  const int64_t m = k ? x.numel() / k : out.numel() / std::max<int64_t>(n, 1);
  const std::string activation = step.kind == OpKind::LinearActivation
                                     ? step.attrString("activation")
                                     : "";
  const int64_t rowTiles = (m + kRowTile - 1) / kRowTile;
  const int64_t colTiles = (n + kColTile - 1) / kColTile;
  parallelFor(rowTiles * colTiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t tile = begin; tile < end; ++tile) {
      int64_t r0 = (tile / colTiles) * kRowTile, c0 = (tile % colTiles) * kColTile;
      int64_t r1 = std::min(m, r0 + kRowTile), c1 = std::min(n, c0 + kColTile);
      for (int64_t r = r0; r < r1; ++r) {
        const float *xr = x.f32() + r * k;
        float *yr = out.f32() + r * n;
        for (int64_t c = c0; c < c1; ++c)
          yr[c] = dot(xr, w.f32() + c * k, k) + (bias ? bias[c] : 0.0f);
        if (!activation.empty())
          applyActivation(activation, yr + c0, c1 - c0);
      }
    }
  });
  return Status::success();
}

Status matmul(const PlanStep &step, const Operands &ops,
              const TensorView &out) {
  const TensorView &a = ops[0].tensor, &b = ops[1].tensor;
  const int r = a.rank();
  const bool ta = step.attrBool("transpose_a"), tb = step.attrBool("transpose_b");
  const int64_t m = out.shape[r - 2], n = out.shape[r - 1];
  const int64_t k = ta ? a.shape[r - 2] : a.shape[r - 1];
  const int64_t aRow = ta ? a.strides[r - 1] : a.strides[r - 2];
  const int64_t aCol = ta ? a.strides[r - 2] : a.strides[r - 1];
  const int64_t bRow = tb ? b.strides[r - 1] : b.strides[r - 2];
  const int64_t bCol = tb ? b.strides[r - 2] : b.strides[r - 1];
  const int64_t batches = m > 0 && n > 0 ? out.numel() / (m * n) : 0;
  parallelFor(batches * m, 4, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t batch = row / m, i = row % m;
      const float *ai = a.f32() + batchOffset(a, batch) + i * aRow;
      const float *bb = b.f32() + batchOffset(b, batch);
      float *ci = out.f32() + row * n;
      if (aCol == 1 && bRow == 1) {
        for (int64_t j = 0; j < n; ++j)
          ci[j] = dot(ai, bb + j * bCol, k);
      } else if (bCol == 1) {
        std::fill(ci, ci + n, 0.0f);
        for (int64_t kk = 0; kk < k; ++kk) {
          const float s = ai[kk * aCol];
          const float *bk = bb + kk * bRow;
#pragma omp simd
          for (int64_t j = 0; j < n; ++j)
            ci[j] += s * bk[j];
        }
      } else {
        for (int64_t j = 0; j < n; ++j) {
          float s = 0;
          for (int64_t kk = 0; kk < k; ++kk)
            s += ai[kk * aCol] * bb[kk * bRow + j * bCol];
          ci[j] = s;
        }
      }
    }
  });
  return Status::success();
}

Status splitHeads(const Operands &ops, const TensorView &out) {
  // [b, s, h*dh] -> [b, h, s, dh]
  const TensorView &x = ops[0].tensor;
  const int64_t batch = out.shape[0], heads = out.shape[1], seq = out.shape[2],
                dh = out.shape[3];
  parallelFor(batch * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      int64_t b = bh / heads, h = bh % heads;
      for (int64_t s = 0; s < seq; ++s)
        std::memcpy(out.f32() + (bh * seq + s) * dh,
                    x.f32() + (b * seq + s) * heads * dh + h * dh,
                    dh * sizeof(float));
    }
  });
  return Status::success();
}

Status mergeHeads(const Operands &ops, const TensorView &out) {
  // [b, h, s, dh] -> [b, s, h*dh]
  const TensorView &x = ops[0].tensor;
  const int64_t batch = x.shape[0], heads = x.shape[1], seq = x.shape[2],
                dh = x.shape[3];
  parallelFor(batch * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      int64_t b = bh / heads, h = bh % heads;
      for (int64_t s = 0; s < seq; ++s)
        std::memcpy(out.f32() + (b * seq + s) * heads * dh + h * dh,
                    x.f32() + (bh * seq + s) * dh, dh * sizeof(float));
    }
  });
  return Status::success();
}

} // namespace txc::runtime::builtins
