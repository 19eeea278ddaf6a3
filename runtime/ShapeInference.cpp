#include "runtime/ShapeInference.h"

#include "runtime/PackedRows.h"
#include "runtime/PanelLayout.h"

namespace txc::runtime {
namespace {

Status mismatch(const std::string &what) { return Status::failure(what); }

std::string operandText(int i, const Dims &d) {
  return "operand " + std::to_string(i) + " " + formatDims(d);
}

Status needRank(const Dims &d, int i, size_t rank) {
  if (d.size() != rank)
    return mismatch(operandText(i, d) + " must have rank " +
                    std::to_string(rank));
  return Status::success();
}

Status needSameShape(const Dims &a, const Dims &b) {
  if (a != b)
    return mismatch("operand shapes " + formatDims(a) + " and " +
                    formatDims(b) + " differ");
  return Status::success();
}

// gamma and beta of a LayerNorm over the last axis of x.
Status needNormParams(const Dims &x, const Dims &gamma, const Dims &beta) {
  if (x.empty())
    return mismatch("LayerNorm input must have rank >= 1");
  for (const Dims *p : {&gamma, &beta})
    if (p->size() != 1 || (*p)[0] != x.back())
      return mismatch("LayerNorm parameters " + formatDims(*p) +
                      " do not match features " + std::to_string(x.back()));
  return Status::success();
}

// An embedding table is [vocab, d] rows, or with attribute `vocab` the GEMM
// panels [ceil(vocab / P), d, P] of such a table (PanelLayout.h).
Status needEmbeddingTable(const PlanStep &step, const Dims &table) {
  if (!step.attrs.count("vocab"))
    return needRank(table, 0, 2);
  int64_t vocab = step.attrInt("vocab");
  if (!panelsHoldRows(table, vocab))
    return mismatch("embedding panels " + formatDims(table) +
                    " do not hold vocab " + std::to_string(vocab));
  return Status::success();
}

Status inferLinear(const PlanStep &step, const Dims &x, const Dims &w,
                   const Dims *bias, Dims &result) {
  // A weight packed in panels [ceil(n/P), k, P] (codegen/WeightPacking.h)
  // names its true output count in `out_features`.
  if (w.size() == 3) {
    int64_t n = step.attrInt("out_features", -1);
    if (!panelsHoldRows(w, n) || x.empty() || w[1] != x.back())
      return mismatch("linear input " + formatDims(x) + " and packed weight " +
                      formatDims(w) + " do not fit out_features " +
                      std::to_string(n));
    if (bias && (bias->size() != 1 || (*bias)[0] != n))
      return mismatch("linear bias " + formatDims(*bias) + " does not match " +
                      std::to_string(n) + " outputs");
    result = x;
    result.back() = n;
    return Status::success();
  }
  if (x.empty() || w.size() != 2 || w[1] != x.back())
    return mismatch("linear input " + formatDims(x) + " and weight " +
                    formatDims(w) + " do not fit (weight is [out, in])");
  if (bias && (bias->size() != 1 || (*bias)[0] != w[0]))
    return mismatch("linear bias " + formatDims(*bias) + " does not match " +
                    std::to_string(w[0]) + " outputs");
  result = x;
  result.back() = w[0];
  return Status::success();
}

Status inferMatmul(const PlanStep &step, const Dims &a, const Dims &b,
                   Dims &result) {
  if (a.size() < 2 || a.size() != b.size())
    return mismatch("matmul operands " + formatDims(a) + " and " +
                    formatDims(b) + " need equal ranks >= 2");
  size_t r = a.size();
  for (size_t i = 0; i + 2 < r; ++i)
    if (a[i] != b[i])
      return mismatch("matmul batch dims of " + formatDims(a) + " and " +
                      formatDims(b) + " differ");
  bool ta = step.attrBool("transpose_a"), tb = step.attrBool("transpose_b");
  int64_t m = ta ? a[r - 1] : a[r - 2], ka = ta ? a[r - 2] : a[r - 1];
  int64_t kb = tb ? b[r - 1] : b[r - 2], n = tb ? b[r - 2] : b[r - 1];
  if (ka != kb)
    return mismatch("matmul contraction dims differ: " + formatDims(a) +
                    " and " + formatDims(b));
  result.assign(a.begin(), a.end() - 2);
  result.push_back(m);
  result.push_back(n);
  return Status::success();
}

Status inferAttention(const std::vector<const Dims *> &ops, Dims &result) {
  const Dims &q = *ops[0], &k = *ops[1], &v = *ops[2];
  for (int i = 0; i < 3; ++i)
    if (Status s = needRank(*ops[i], i, 4); !s.ok())
      return s;
  // With key_rows (ops[5]) K and V have rows of their own.
  const Dims *keyRows = ops.size() > 5 ? ops[5] : nullptr;
  if ((!keyRows && k[0] != q[0]) || k[1] != q[1] || k[3] != q[3] ||
      v[0] != k[0] || v[1] != q[1] || v[2] != k[2])
    return mismatch("attention q " + formatDims(q) + ", k " + formatDims(k) +
                    ", v " + formatDims(v) + " do not fit");
  if (ops[3] && (ops[3]->size() != 1 || (*ops[3])[0] != q[0]))
    return mismatch("attention lengths " + formatDims(*ops[3]) +
                    " do not match batch " + std::to_string(q[0]));
  if (keyRows && (keyRows->size() != 1 || (*keyRows)[0] != q[0]))
    return mismatch("attention key_rows " + formatDims(*keyRows) +
                    " do not match batch " + std::to_string(q[0]));
  result = {q[0], q[1], q[2], v[3]};
  return Status::success();
}

// pack_rows [b, s, d] + lengths[b] -> [sum of clamped lengths, d];
// unpack_rows [t, d] + lengths[b] + like[b, s] -> [b, s, d].
Status inferPacking(OpKind kind, const std::vector<const Dims *> &ops,
                    const std::function<const int32_t *(int)> &i32Data,
                    Dims &result) {
  const Dims &rows = *ops[0], &lengths = *ops[1];
  bool pack = kind == OpKind::PackRows;
  if (Status s = needRank(rows, 0, pack ? 3 : 2); !s.ok())
    return s;
  if (Status s = needRank(lengths, 1, 1); !s.ok())
    return s;
  const Dims &batch = pack ? rows : *ops[2];
  if (!pack)
    if (Status s = needRank(batch, 2, 2); !s.ok())
      return s;
  if (lengths[0] != batch[0])
    return mismatch(std::to_string(lengths[0]) + " lengths for a batch of " +
                    std::to_string(batch[0]));
  const int32_t *data = i32Data ? i32Data(1) : nullptr;
  if (!data)
    return mismatch("packed rows need lengths known before the call "
                    "(a function argument)");
  int64_t packed = packedOffsets(data, batch[0], batch[1]).back();
  if (pack) {
    result = {packed, rows[2]};
    return Status::success();
  }
  if (rows[0] != packed)
    return mismatch("lengths give " + std::to_string(packed) +
                    " packed rows but got " + operandText(0, rows));
  result = {batch[0], batch[1], rows[1]};
  return Status::success();
}

} // namespace

Status inferShape(const PlanStep &step, const std::vector<const Dims *> &ops,
                  const std::function<int64_t(int)> &indexValue, Dims &result,
                  const std::function<const int32_t *(int)> &i32Data) {
  auto op = [&](int i) -> const Dims & { return *ops[i]; };
  switch (step.kind) {
  case OpKind::Constant:
  case OpKind::Weight:
    return mismatch("the shape of a constant or weight comes from the plan");
  case OpKind::Embedding:
    if (Status s = needEmbeddingTable(step, op(0)); !s.ok())
      return s;
    if (Status s = needRank(op(1), 1, 2); !s.ok())
      return s;
    result = {op(1)[0], op(1)[1], op(0)[1]};
    return Status::success();
  case OpKind::SinusoidPositions:
    if (Status s = needRank(op(0), 0, 3); !s.ok())
      return s;
    if (op(0)[2] % 2 != 0)
      return mismatch("sinusoid positions need an even feature count, got " +
                      std::to_string(op(0)[2]));
    result = op(0);
    return Status::success();
  case OpKind::LearnedPositions:
    if (Status s = needRank(op(0), 0, 3); !s.ok())
      return s;
    if (op(1).size() != 2 || op(1)[1] != op(0)[2])
      return mismatch("position table " + formatDims(op(1)) +
                      " does not match input " + formatDims(op(0)));
    result = op(0);
    return Status::success();
  case OpKind::Linear:
  case OpKind::LinearActivation:
    return inferLinear(step, op(0), op(1), ops[2], result);
  case OpKind::Matmul:
    return inferMatmul(step, op(0), op(1), result);
  case OpKind::SplitHeads: {
    if (Status s = needRank(op(0), 0, 3); !s.ok())
      return s;
    int64_t heads = step.attrInt("heads");
    if (heads < 1 || op(0)[2] % heads != 0)
      return mismatch(std::to_string(op(0)[2]) +
                      " features do not split into " +
                      std::to_string(heads) + " heads");
    result = {op(0)[0], heads, op(0)[1], op(0)[2] / heads};
    return Status::success();
  }
  case OpKind::MergeHeads:
    if (Status s = needRank(op(0), 0, 4); !s.ok())
      return s;
    result = {op(0)[0], op(0)[2], op(0)[1] * op(0)[3]};
    return Status::success();
  case OpKind::Scale:
  case OpKind::Relu:
  case OpKind::Gelu:
  case OpKind::GeluTanh:
  case OpKind::Swish:
  case OpKind::Softmax:
    result = op(0);
    return Status::success();
  case OpKind::Add:
    result = op(0);
    return needSameShape(op(0), op(1));
  case OpKind::PaddingMask:
    if (Status s = needRank(op(0), 0, 4); !s.ok())
      return s;
    if (op(1).size() != 1 || op(1)[0] != op(0)[0])
      return mismatch("lengths " + formatDims(op(1)) +
                      " do not match scores " + formatDims(op(0)));
    result = op(0);
    return Status::success();
  case OpKind::CausalMask:
    if (op(0).size() < 2)
      return mismatch("causal mask scores must have rank >= 2");
    result = op(0);
    return Status::success();
  case OpKind::LayerNorm:
    result = op(0);
    return needNormParams(op(0), op(1), op(2));
  case OpKind::AddLayerNorm:
    result = op(0);
    if (Status s = needSameShape(op(0), op(1)); !s.ok())
      return s;
    return needNormParams(op(0), op(2), op(3));
  case OpKind::KvCacheRead:
    if (Status s = needRank(op(0), 0, 4); !s.ok())
      return s;
    if (Status s = needRank(op(1), 1, 1); !s.ok())
      return s;
    result = op(0);
    result[0] = op(1)[0];
    return Status::success();
  case OpKind::KvCacheAppend: {
    const Dims &cache = op(0), &update = op(1);
    if (cache.size() != 4 || update.size() != 4 || cache[0] != update[0] ||
        cache[1] != update[1] || cache[3] != update[3])
      return mismatch("cache " + formatDims(cache) + " and new entries " +
                      formatDims(update) + " do not fit");
    result = {cache[0], cache[1], cache[2] + update[2], cache[3]};
    return Status::success();
  }
  case OpKind::Slice: {
    const Dims &x = op(0);
    int64_t offset = step.attrInt("offset"), size = step.attrInt("size");
    if (x.empty() || offset < 0 || size < 0 || offset + size > x.back())
      return mismatch("slice [" + std::to_string(offset) + ", " +
                      std::to_string(offset + size) +
                      ") does not lie within the last axis of " +
                      operandText(0, x));
    result = x;
    result.back() = size;
    return Status::success();
  }
  case OpKind::Attention:
    return inferAttention(ops, result);
  case OpKind::PackRows:
  case OpKind::UnpackRows:
    return inferPacking(step.kind, ops, i32Data, result);
  case OpKind::LinearArgmax: {
    if (Status s = inferLinear(step, op(0), op(1), ops[3], result); !s.ok())
      return s;
    result.pop_back();
    return Status::success();
  }
  case OpKind::Argmax:
    if (op(0).empty())
      return mismatch("logits " + operandText(0, op(0)) + " need a vocabulary axis");
    result.assign(op(0).begin(), op(0).end() - 1);
    return Status::success();
  case OpKind::LogSoftmaxTopK: {
    if (op(0).empty())
      return mismatch("logits " + operandText(0, op(0)) + " need a vocabulary axis");
    int64_t k = indexValue(1);
    if (k < 1 || k > op(0).back())
      return mismatch("top-k needs k in [1, " + std::to_string(op(0).back()) +
                      "], got " + std::to_string(k));
    result = op(0);
    result.back() = k;
    result.push_back(2);
    return Status::success();
  }
  }
  return mismatch("unknown op kind");
}

} // namespace txc::runtime
