#include "runtime/BuiltinOps.h"

#include "runtime/PanelLayout.h"
#include "runtime/ThreadPool.h"

#include <cmath>
#include <vector>

namespace txc::runtime::builtins {

// A table of [vocab, d] rows, or, when the step names its `vocab`, the
// GEMM panels [ceil(vocab / P), d, P] of one (PanelLayout.h): the embedding
// then shares the output projection's packed copy.
Status embedding(const PlanStep &step, const Operands &ops,
                 const TensorView &out) {
  const TensorView &table = ops[0].tensor, &ids = ops[1].tensor;
  const bool panels = table.rank() == 3;
  const int64_t vocab = panels ? step.attrInt("vocab") : table.shape[0];
  const int64_t d = table.shape[1], width = panels ? table.shape[2] : 0;
  const int64_t tokens = ids.numel();
  const float scale = static_cast<float>(step.attrFloat("scale", 1.0));
  for (int64_t t = 0; t < tokens; ++t) {
    int32_t id = ids.i32()[t];
    if (id < 0 || id >= vocab)
      return Status::failure("token id " + std::to_string(id) +
                             " is outside the embedding table [0, " +
                             std::to_string(vocab) + ")");
  }
  parallelFor(tokens, 16, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t id = ids.i32()[t];
      float *dst = out.f32() + t * d;
      if (panels) {
        for (int64_t i = 0; i < d; ++i)
          dst[i] = table.f32()[panelOffset(id, i, d, width)] * scale;
      } else {
        const float *row = table.f32() + id * d;
        for (int64_t i = 0; i < d; ++i)
          dst[i] = row[i] * scale;
      }
    }
  });
  return Status::success();
}

namespace {

// out[b, j, :] = x[b, j, :] + rowOf(j) for a [batch, seq, d] input.
template <typename RowFn>
void addPerPosition(const TensorView &x, const TensorView &out, RowFn rowOf) {
  const int64_t batch = x.shape[0], seq = x.shape[1], d = x.shape[2];
  parallelFor(seq, 4, [&](int64_t begin, int64_t end) {
    std::vector<float> row(d);
    for (int64_t j = begin; j < end; ++j) {
      rowOf(j, row.data());
      for (int64_t b = 0; b < batch; ++b) {
        const float *src = x.f32() + (b * seq + j) * d;
        float *dst = out.f32() + (b * seq + j) * d;
        for (int64_t i = 0; i < d; ++i)
          dst[i] = src[i] + row[i];
      }
    }
  });
}

} // namespace

Status sinusoidPositions(const PlanStep &step, const Operands &ops,
                         const TensorView &out) {
  const TensorView &x = ops[0].tensor;
  const int64_t d = x.shape[2], half = d / 2;
  const int64_t first = ops[1].index + step.attrInt("offset");
  const bool halves = step.attrString("layout") == "halves";
  addPerPosition(x, out, [&](int64_t j, float *row) {
    double p = static_cast<double>(first + j);
    for (int64_t i = 0; i < half; ++i) {
      double angle = p / std::pow(10000.0, 2.0 * i / double(d));
      float s = static_cast<float>(std::sin(angle));
      float c = static_cast<float>(std::cos(angle));
      if (halves) {
        row[i] = s;
        row[half + i] = c;
      } else {
        row[2 * i] = s;
        row[2 * i + 1] = c;
      }
    }
  });
  return Status::success();
}

Status learnedPositions(const PlanStep &step, const Operands &ops,
                        const TensorView &out) {
  const TensorView &x = ops[0].tensor, &table = ops[1].tensor;
  const int64_t d = x.shape[2], rows = table.shape[0];
  const int64_t first = ops[2].index + step.attrInt("offset");
  const int64_t last = first + x.shape[1] - 1;
  if (x.shape[1] > 0 && (first < 0 || last >= rows))
    return Status::failure("positions " + std::to_string(first) + ".." +
                           std::to_string(last) +
                           " are outside the position table of " +
                           std::to_string(rows) + " rows");
  addPerPosition(x, out, [&](int64_t j, float *row) {
    const float *src = table.f32() + (first + j) * d;
    std::copy(src, src + d, row);
  });
  return Status::success();
}

} // namespace txc::runtime::builtins
