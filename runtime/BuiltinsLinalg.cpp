#include "runtime/BuiltinOps.h"

#include "runtime/PanelLayout.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cstring>

namespace txc::runtime::builtins {
namespace {

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

// Dot products of 4 rows of x with 2 rows of w: 8 independent sums keep
// the vector units busy and each loaded value is used 2 or 4 times.
inline void dot4x2(const float *x, int64_t xStride, const float *w,
                   int64_t k, float out[4][2]) {
  const float *x0 = x, *x1 = x + xStride, *x2 = x + 2 * xStride,
              *x3 = x + 3 * xStride, *w0 = w, *w1 = w + k;
  float s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
#pragma omp simd reduction(+ : s00, s01, s10, s11, s20, s21, s30, s31)
  for (int64_t i = 0; i < k; ++i) {
    float a = w0[i], b = w1[i];
    s00 += x0[i] * a;
    s01 += x0[i] * b;
    s10 += x1[i] * a;
    s11 += x1[i] * b;
    s20 += x2[i] * a;
    s21 += x2[i] * b;
    s30 += x3[i] * a;
    s31 += x3[i] * b;
  }
  out[0][0] = s00, out[0][1] = s01, out[1][0] = s10, out[1][1] = s11;
  out[2][0] = s20, out[2][1] = s21, out[3][0] = s30, out[3][1] = s31;
}

// Tiles of the output that keep a block of weight rows in cache while a
// block of input rows passes over it.
constexpr int64_t kRowTile = 32, kColTile = 64;

// y[r0:r1, c0:c1] = x w^T for one tile (rows of x and y are k and n apart).
void linearTile(const float *x, const float *w, float *y, int64_t k,
                int64_t n, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    int64_t c = c0;
    for (; c + 2 <= c1; c += 2) {
      float block[4][2];
      dot4x2(x + r * k, k, w + c * k, k, block);
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 2; ++j)
          y[(r + i) * n + c + j] = block[i][j];
    }
    for (; c < c1; ++c)
      for (int i = 0; i < 4; ++i)
        y[(r + i) * n + c] = dot(x + (r + i) * k, w + c * k, k);
  }
  for (; r < r1; ++r)
    for (int64_t c = c0; c < c1; ++c)
      y[r * n + c] = dot(x + r * k, w + c * k, k);
}

} // namespace

// Row-major [n, k] of a weight packed in panels [ceil(n/P), k, P]
// (codegen/WeightPacking.h), for running a compiled plan without kernels.
std::vector<float> unpackPanels(const TensorView &packed, int64_t n) {
  const int64_t k = packed.shape[1], width = packed.shape[2];
  std::vector<float> rows(size_t(n * k));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      rows[r * k + c] = packed.f32()[panelOffset(r, c, k, width)];
  return rows;
}

Status linear(const PlanStep &step, const Operands &ops,
              const TensorView &out) {
  const TensorView &x = ops[0].tensor;
  TensorView w = ops[1].tensor;
  std::vector<float> unpacked;
  if (w.rank() == 3) {
    const int64_t n = out.shape.back();
    unpacked = unpackPanels(w, n);
    w = TensorView(DType::F32, {n, w.shape[1]}, unpacked.data());
  }
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
      linearTile(x.f32(), w.f32(), out.f32(), k, n, r0, r1, c0, c1);
      for (int64_t r = r0; r < r1; ++r) {
        float *yr = out.f32() + r * n;
        if (bias)
          for (int64_t c = c0; c < c1; ++c)
            yr[c] += bias[c];
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
  // [b, s, h*dh] -> [b, h, s, dh]; x may be a slice of a wider tensor.
  const TensorView &x = ops[0].tensor;
  const int64_t batch = out.shape[0], heads = out.shape[1], seq = out.shape[2],
                dh = out.shape[3];
  parallelFor(batch * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      int64_t b = bh / heads, h = bh % heads;
      for (int64_t s = 0; s < seq; ++s)
        std::memcpy(out.f32() + (bh * seq + s) * dh,
                    x.f32() + b * x.strides[0] + s * x.strides[1] + h * dh,
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

Status slice(const PlanStep &step, const Operands &ops,
             const TensorView &out) {
  copyTensor(sliceLastAxis(ops[0].tensor, step.attrInt("offset"),
                           step.attrInt("size")),
             out);
  return Status::success();
}

} // namespace txc::runtime::builtins
