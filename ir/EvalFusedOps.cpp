// The fused and scheduled ops the optimizing passes produce. Each computes
// what the primitive chain it replaces computes, rounding to f32 where that
// chain stores an intermediate tensor, so a pass leaves results unchanged.
#include "ir/EvalOps.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <limits>

using namespace txc;

namespace {

// "weight 'a'" or "weights 'a', 'b'", for messages.
std::string describeWeights(llvm::ArrayRef<llvm::StringRef> names) {
  std::string s = names.size() == 1 ? "weight " : "weights ";
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? ", '" : "'") + names[i].str() + "'";
  return s;
}

// The named weights' rows stacked in order along axis 0 (1-D weights
// concatenate). Every weight must have the same trailing dims.
EvalResult stackWeights(mlir::Operation *op,
                        llvm::ArrayRef<llvm::StringRef> names,
                        const WeightSource &weights) {
  std::vector<int64_t> shape;
  llvm::SmallVector<WeightView, 4> views;
  for (llvm::StringRef name : names) {
    llvm::Expected<WeightView> view = readWeight(op, name, weights);
    if (!view)
      return view.takeError();
    if (view->shape.empty())
      return opError(op, "cannot stack the scalar weight '" + name + "'");
    if (shape.empty()) {
      shape = view->shape.vec();
    } else if (view->shape.drop_front() !=
               llvm::makeArrayRef(shape).drop_front()) {
      return opError(op, "cannot stack weight '" + name + "' of shape " +
                             shapeString(view->shape) + " onto weight '" +
                             names.front() + "' of shape " +
                             shapeString(views.front().shape));
    } else {
      shape[0] += view->shape[0];
    }
    views.push_back(*view);
  }
  std::vector<float> values;
  values.reserve(elementCount(shape));
  for (const WeightView &view : views)
    values.insert(values.end(), view.values.begin(), view.values.end());
  return EvalValue::f32(std::move(shape), std::move(values));
}

llvm::ArrayRef<int64_t> resultShape(mlir::Operation *op) {
  return op->getResult(0).getType().cast<mlir::RankedTensorType>().getShape();
}

// The formula of a txc.gemm activation name; null for "none".
llvm::Expected<ActivationFn> activationNamed(GemmOp op) {
  llvm::StringRef name = op.activation();
  if (name == "none")
    return nullptr;
  if (name == "relu")
    return activation::relu;
  if (name == "gelu")
    return activation::gelu;
  if (name == "gelu_tanh")
    return activation::geluTanh;
  if (name == "swish")
    return activation::swish;
  return opError(op, "has an unknown activation '" + name + "'");
}

} // namespace

llvm::Expected<WeightView> txc::readWeight(mlir::Operation *op,
                                           llvm::StringRef name,
                                           const WeightSource &weights) {
  llvm::Expected<WeightView> view = weights.lookup(name);
  if (!view)
    return opError(op, "cannot read weight '" + name +
                           "': " + llvm::toString(view.takeError()));
  if (static_cast<int64_t>(view->values.size()) != elementCount(view->shape))
    return opError(op, "weight '" + name + "' holds " +
                           llvm::Twine(view->values.size()) +
                           " values for shape " + shapeString(view->shape));
  return view;
}

EvalResult txc::evaluate(ConcatWeightsOp op, const WeightSource &weights) {
  llvm::SmallVector<llvm::StringRef, 4> names;
  for (mlir::Attribute name : op.names())
    names.push_back(name.cast<mlir::StringAttr>().getValue());
  EvalResult stacked = stackWeights(op, names, weights);
  if (!stacked)
    return stacked;
  if (stacked->shape() != resultShape(op))
    return opError(op, describeWeights(names) + " stack to " +
                           shapeString(stacked->shape()) +
                           " but the op expects " +
                           shapeString(resultShape(op)));
  return stacked;
}

EvalResult txc::evaluate(PackedWeightOp op, const WeightSource &weights) {
  llvm::SmallVector<llvm::StringRef, 4> names;
  op.name().split(names, '+');
  EvalResult stacked = stackWeights(op, names, weights);
  if (!stacked)
    return stacked;
  int64_t rows = op.rows(), p = op.panel_width();
  int64_t k = resultShape(op)[1], panels = (rows + p - 1) / p;
  std::vector<int64_t> expected = {rows, k};
  if (stacked->shape() != llvm::makeArrayRef(expected))
    return opError(op, describeWeights(names) + " stack to " +
                           shapeString(stacked->shape()) +
                           " but the op packs " + shapeString(expected));
  llvm::ArrayRef<float> w = stacked->f32();
  std::vector<float> packed(panels * k * p, 0.f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c)
      packed[((r / p) * k + c) * p + r % p] = w[r * k + c];
  return EvalValue::f32({panels, k, p}, std::move(packed));
}

EvalResult txc::evaluate(SliceOp op, EvalOperands operands) {
  const EvalValue &x = operands[0];
  int64_t n = x.dim(x.rank() - 1), offset = op.offset(), size = op.size();
  if (offset + size > n)
    return opError(op, "range [" + llvm::Twine(offset) + ", " +
                           llvm::Twine(offset + size) +
                           ") lies outside the last axis (" + llvm::Twine(n) +
                           ")");
  int64_t rows = elementCount(x.shape().drop_back());
  llvm::ArrayRef<float> xv = x.f32();
  std::vector<float> out(rows * size);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < size; ++i)
      out[r * size + i] = xv[r * n + offset + i];
  std::vector<int64_t> shape = x.shape().vec();
  shape.back() = size;
  return EvalValue::f32(std::move(shape), std::move(out));
}

EvalResult txc::evaluate(GemmOp op, EvalOperands operands) {
  llvm::Expected<ActivationFn> activate = activationNamed(op);
  if (!activate)
    return activate.takeError();
  return evaluatePackedLinear(op, operands[0], operands[1],
                              operands.size() > 2 ? &operands[2] : nullptr,
                              op.out_features(), *activate);
}

EvalResult txc::evaluatePackedLinear(mlir::Operation *op, const EvalValue &x,
                                     const EvalValue &packed,
                                     const EvalValue *bias, int64_t n,
                                     const ActivationFn &activate) {
  int64_t k = x.dim(x.rank() - 1), p = packed.dim(2);
  if (packed.dim(1) != k)
    return opError(op, "packed weight depth " + llvm::Twine(packed.dim(1)) +
                           " differs from the input's feature size " +
                           llvm::Twine(k));
  if (packed.dim(0) * p < n)
    return opError(op, "packed weight " + shapeString(packed.shape()) +
                           " holds fewer than out_features (" + llvm::Twine(n) +
                           ") rows");
  if (bias && bias->dim(0) != n)
    return opError(op, "bias size " + llvm::Twine(bias->dim(0)) +
                           " differs from out_features " + llvm::Twine(n));
  int64_t rows = elementCount(x.shape().drop_back());
  llvm::ArrayRef<float> xv = x.f32(), wv = packed.f32();
  std::vector<float> out(rows * n);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      // Column j of the [k, P] panel j / P is row j of the unpacked weight.
      const float *column = wv.data() + (j / p) * k * p + j % p;
      double sum = bias ? bias->f32()[j] : 0.0;
      for (int64_t c = 0; c < k; ++c)
        sum += static_cast<double>(xv[r * k + c]) * column[c * p];
      float linear = static_cast<float>(sum);
      out[r * n + j] =
          activate ? static_cast<float>(activate(linear)) : linear;
    }
  std::vector<int64_t> shape = x.shape().vec();
  shape.back() = n;
  return EvalValue::f32(std::move(shape), std::move(out));
}

EvalResult txc::evaluate(AttentionOp op, EvalOperands operands) {
  const EvalValue &q = operands[0], &k = operands[1], &v = operands[2];
  size_t next = 3;
  const EvalValue *lengths = op.lengths() ? &operands[next++] : nullptr;
  const EvalValue *offset = op.offset() ? &operands[next++] : nullptr;
  const EvalValue *keyRows = op.key_rows() ? &operands[next++] : nullptr;
  int64_t b = q.dim(0), h = q.dim(1), sq = q.dim(2), dh = q.dim(3);
  int64_t bk = k.dim(0), sk = k.dim(2), dv = v.dim(3);
  if ((!keyRows && bk != b) || k.dim(1) != h || k.dim(3) != dh)
    return opError(op, "key " + shapeString(k.shape()) +
                           " does not fit query " + shapeString(q.shape()));
  if (v.dim(0) != bk || v.dim(1) != h || v.dim(2) != sk)
    return opError(op, "value " + shapeString(v.shape()) +
                           " does not fit key " + shapeString(k.shape()));
  if (lengths && lengths->dim(0) != b)
    return opError(op, "has " + llvm::Twine(lengths->dim(0)) +
                           " lengths for a batch of " + llvm::Twine(b));
  if (keyRows && keyRows->dim(0) != b)
    return opError(op, "has " + llvm::Twine(keyRows->dim(0)) +
                           " key rows for a batch of " + llvm::Twine(b));
  std::vector<int64_t> keyRowOf(b);
  for (int64_t i = 0; i < b; ++i) {
    keyRowOf[i] = keyRows ? keyRows->i32()[i] : i;
    if (keyRowOf[i] < 0 || keyRowOf[i] >= bk)
      return opError(op, "key row " + llvm::Twine(keyRowOf[i]) + " of row " +
                             llvm::Twine(i) + " is outside the keys' " +
                             llvm::Twine(bk) + " rows");
  }
  double scale = op.scale().convertToDouble();
  const float kNegInf = -std::numeric_limits<float>::infinity();
  llvm::ArrayRef<float> qv = q.f32(), kv = k.f32(), vv = v.f32();
  std::vector<float> scores(sk), probs(sk), out(b * h * sq * dv);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t hh = 0; hh < h; ++hh) {
      const float *qs = qv.data() + (i * h + hh) * sq * dh;
      const float *ks = kv.data() + (keyRowOf[i] * h + hh) * sk * dh;
      const float *vs = vv.data() + (keyRowOf[i] * h + hh) * sk * dv;
      float *os = out.data() + (i * h + hh) * sq * dv;
      for (int64_t qi = 0; qi < sq; ++qi) {
        for (int64_t ki = 0; ki < sk; ++ki) {
          bool masked = (lengths && ki >= lengths->i32()[i]) ||
                        (offset && ki > qi + offset->index());
          if (masked) {
            scores[ki] = kNegInf;
            continue;
          }
          double dot = 0;
          for (int64_t c = 0; c < dh; ++c)
            dot += static_cast<double>(qs[qi * dh + c]) * ks[ki * dh + c];
          // Rounded as the unfused chain stores QK^T, then its scaled copy.
          scores[ki] = static_cast<float>(
              static_cast<double>(static_cast<float>(dot)) * scale);
        }
        softmaxRow(scores.data(), sk, probs.data());
        for (int64_t c = 0; c < dv; ++c) {
          double sum = 0;
          for (int64_t ki = 0; ki < sk; ++ki)
            sum += static_cast<double>(probs[ki]) * vs[ki * dv + c];
          os[qi * dv + c] = static_cast<float>(sum);
        }
      }
    }
  return EvalValue::f32({b, h, sq, dv}, std::move(out));
}

EvalResult txc::evaluate(AddLayerNormOp op, EvalOperands operands) {
  const EvalValue &x = operands[0], &residual = operands[1];
  const EvalValue &gamma = operands[2], &beta = operands[3];
  if (x.shape() != residual.shape())
    return opError(op, "input " + shapeString(x.shape()) + " and residual " +
                           shapeString(residual.shape()) + " differ");
  int64_t d = x.dim(x.rank() - 1);
  if (llvm::Error e = checkNormParameters(op, d, gamma, beta))
    return std::move(e);
  double eps = op.eps().convertToDouble();
  int64_t rows = elementCount(x.shape().drop_back());
  llvm::ArrayRef<float> xv = x.f32(), rv = residual.f32();
  std::vector<float> sum(d), out(xv.size());
  for (int64_t r = 0; r < rows; ++r) {
    // Rounded as the unfused add stores its sum.
    for (int64_t i = 0; i < d; ++i)
      sum[i] = static_cast<float>(static_cast<double>(xv[r * d + i]) +
                                  rv[r * d + i]);
    layerNormRow(sum.data(), d, gamma.f32().data(), beta.f32().data(), eps,
                 out.data() + r * d);
  }
  return EvalValue::f32(x.shape().vec(), std::move(out));
}
