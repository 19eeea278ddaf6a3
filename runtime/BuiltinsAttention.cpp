#include "runtime/BuiltinOps.h"

#include "runtime/ThreadPool.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace txc::runtime::builtins {
namespace {

// A [batch, heads, seq, dim] tensor with its innermost stride 1.
struct HeadsView {
  const TensorView &t;
  const float *row(int64_t b, int64_t h, int64_t s) const {
    return t.f32() + b * t.strides[0] + h * t.strides[1] + s * t.strides[2];
  }
};

// `t` restricted to rows [0, rows) of dim 0 and positions [first, first +
// count) of dim 2.
TensorView slice(const TensorView &t, int64_t rows, int64_t first,
                 int64_t count) {
  TensorView s = t;
  s.shape[0] = rows;
  s.shape[2] = count;
  s.data = t.f32() + first * t.strides[2];
  return s;
}

} // namespace

Status attention(const PlanStep &step, const Operands &ops,
                 const TensorView &out) {
  HeadsView q{ops[0].tensor}, k{ops[1].tensor}, v{ops[2].tensor};
  const int32_t *lengths = ops[3].present ? ops[3].tensor.i32() : nullptr;
  const bool causal = ops[4].present;
  const int64_t offset = ops[4].index;
  const bool hasKeyRows = ops.size() > 5 && ops[5].present;
  const int32_t *keyRows = hasKeyRows ? ops[5].tensor.i32() : nullptr;
  const int64_t keyBatch = ops[1].tensor.shape[0];
  const int64_t batch = out.shape[0], heads = out.shape[1],
                queries = out.shape[2], dv = out.shape[3];
  const int64_t keys = ops[1].tensor.shape[2], dk = ops[1].tensor.shape[3];
  const float scale = static_cast<float>(step.attrFloat("scale"));
  const float negInf = -std::numeric_limits<float>::infinity();
  for (int64_t b = 0; keyRows && b < batch; ++b)
    if (keyRows[b] < 0 || keyRows[b] >= keyBatch)
      return Status::failure("attention key row " + std::to_string(keyRows[b]) +
                             " of row " + std::to_string(b) +
                             " is outside the keys' " +
                             std::to_string(keyBatch) + " rows");
  parallelFor(batch * heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> p(keys);
    for (int64_t bh = begin; bh < end; ++bh) {
      int64_t b = bh / heads, h = bh % heads;
      int64_t kb = keyRows ? keyRows[b] : b;
      int64_t valid = lengths ? std::min<int64_t>(lengths[b], keys) : keys;
      for (int64_t i = 0; i < queries; ++i) {
        const float *qi = q.row(b, h, i);
        int64_t visible = causal ? std::min(valid, i + offset + 1) : valid;
        for (int64_t j = 0; j < keys; ++j) {
          if (j >= visible) {
            p[j] = negInf;
            continue;
          }
          p[j] = dot(qi, k.row(kb, h, j), dk) * scale;
        }
        softmaxRow(p.data(), keys);
        // `out` may be a view of the merged [b, s, h * dh] tensor.
        float *o = out.f32() + b * out.strides[0] + h * out.strides[1] +
                   i * out.strides[2];
        std::fill(o, o + dv, 0.0f);
        for (int64_t j = 0; j < std::max<int64_t>(visible, 0); ++j) {
          const float *vj = v.row(kb, h, j);
          for (int64_t d = 0; d < dv; ++d)
            o[d] += p[j] * vj[d];
        }
      }
    }
  });
  return Status::success();
}

Status kvCacheRead(const Operands &ops, const TensorView &out) {
  const TensorView &cache = ops[0].tensor, &origin = ops[1].tensor;
  const int64_t rows = out.shape[0], previous = cache.shape[0];
  for (int64_t i = 0; i < rows; ++i) {
    int32_t from = origin.i32()[i];
    if (from < 0 || from >= previous)
      return Status::failure("origin row " + std::to_string(from) +
                             " is outside the cache's " +
                             std::to_string(previous) + " rows");
  }
  for (int64_t i = 0; i < rows; ++i) {
    TensorView src = cache, dst = out;
    src.shape[0] = dst.shape[0] = 1;
    src.data = cache.f32() + origin.i32()[i] * cache.strides[0];
    dst.data = out.f32() + i * out.strides[0];
    copyTensor(src, dst);
  }
  return Status::success();
}

Status kvCacheAppend(const Operands &ops, const TensorView &out) {
  const TensorView &cache = ops[0].tensor, &update = ops[1].tensor;
  const int64_t rows = out.shape[0], past = cache.shape[2];
  copyTensor(cache, slice(out, rows, 0, past));
  copyTensor(update, slice(out, rows, past, update.shape[2]));
  return Status::success();
}

} // namespace txc::runtime::builtins
