// Verifiers of the txc ops. Every message names the op, what it expects and
// what it got, so a bad module points at the offending value.
#include "ir/TxcDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace txc;

namespace {

RankedTensorType rankedType(Value v) {
  return v.getType().cast<RankedTensorType>();
}

bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

std::string dimString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

// Checks `value` has `rank` dims; names the operand in the diagnostic.
LogicalResult expectRank(Operation *op, Value value, StringRef what,
                         int64_t rank) {
  int64_t got = rankedType(value).getRank();
  if (got == rank)
    return success();
  return op->emitOpError() << "expects " << what << " of rank " << rank
                           << " but got " << value.getType();
}

LogicalResult expectDim(Operation *op, StringRef what, int64_t got,
                        StringRef expectedWhat, int64_t expected) {
  if (dimsCompatible(got, expected))
    return success();
  return op->emitOpError() << "expects " << what << " (" << dimString(got)
                           << ") to equal " << expectedWhat << " ("
                           << dimString(expected) << ")";
}

LogicalResult expectShapesCompatible(Operation *op, StringRef what, Value a,
                                     StringRef otherWhat, Value b) {
  auto ta = rankedType(a), tb = rankedType(b);
  bool ok = ta.getRank() == tb.getRank();
  for (int64_t i = 0; ok && i < ta.getRank(); ++i)
    ok = dimsCompatible(ta.getDimSize(i), tb.getDimSize(i));
  if (ok)
    return success();
  return op->emitOpError() << "expects " << what << " " << a.getType()
                           << " to have the shape of " << otherWhat << " "
                           << b.getType();
}

LogicalResult expectResultShape(Operation *op, ArrayRef<int64_t> expected) {
  auto result = rankedType(op->getResult(0));
  bool ok = result.getRank() == static_cast<int64_t>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i)
    ok = dimsCompatible(result.getDimSize(i), expected[i]);
  if (ok)
    return success();
  std::string want;
  for (size_t i = 0; i < expected.size(); ++i)
    want += (i ? "x" : "") + dimString(expected[i]);
  return op->emitOpError() << "expects result shape [" << want << "] but got "
                           << result;
}

LogicalResult expectSameShapeResult(Operation *op, Value input) {
  return expectResultShape(op, rankedType(input).getShape());
}

// Checks `input` has a feature axis to work on (rank >= 1).
LogicalResult expectFeatureAxis(Operation *op, Value input) {
  auto type = rankedType(input);
  if (type.getRank() >= 1)
    return success();
  return op->emitOpError() << "expects an input of rank >= 1 but got "
                           << type;
}

int64_t featureSize(Value input) {
  auto type = rankedType(input);
  return type.getDimSize(type.getRank() - 1);
}

// Checks the result is `input`'s shape with the last dim set to `last`.
LogicalResult expectResultWithLastDim(Operation *op, Value input,
                                      int64_t last) {
  auto shape = rankedType(input).getShape();
  SmallVector<int64_t> expected(shape.begin(), shape.end());
  expected.back() = last;
  return expectResultShape(op, expected);
}

// Checks an optional bias is [n]; `nWhat` names n in the message.
LogicalResult expectOptionalBias(Operation *op, Value bias, StringRef nWhat,
                                 int64_t n) {
  if (!bias)
    return success();
  if (failed(expectRank(op, bias, "bias", 1)))
    return failure();
  return expectDim(op, "bias size", rankedType(bias).getDimSize(0), nWhat, n);
}

} // namespace

static LogicalResult verify(WeightOp op) {
  if (op.name().empty())
    return op.emitOpError() << "expects a non-empty weight name";
  if (!op.getType().cast<RankedTensorType>().hasStaticShape())
    return op.emitOpError() << "expects a static shape for weight '"
                            << op.name() << "' but got " << op.getType();
  return success();
}

static LogicalResult verify(EmbeddingOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.table(), "table", 2)) ||
      failed(expectRank(o, op.ids(), "ids", 2)))
    return failure();
  auto table = rankedType(op.table()), ids = rankedType(op.ids());
  return expectResultShape(
      o, {ids.getDimSize(0), ids.getDimSize(1), table.getDimSize(1)});
}

static LogicalResult verify(SinusoidPositionsOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.input(), "input", 3)))
    return failure();
  if (op.layout() != "interleaved" && op.layout() != "halves")
    return op.emitOpError() << "expects layout \"interleaved\" or \"halves\" "
                               "but got \""
                            << op.layout() << "\"";
  if (op.offset() < 0)
    return op.emitOpError() << "expects a non-negative offset but got "
                            << op.offset();
  int64_t d = rankedType(op.input()).getDimSize(2);
  if (!ShapedType::isDynamic(d) && d % 2 != 0)
    return op.emitOpError() << "expects an even feature size but got " << d;
  return expectSameShapeResult(o, op.input());
}

static LogicalResult verify(LearnedPositionsOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.input(), "input", 3)) ||
      failed(expectRank(o, op.table(), "table", 2)))
    return failure();
  if (op.offset() < 0)
    return op.emitOpError() << "expects a non-negative offset but got "
                            << op.offset();
  if (failed(expectDim(o, "table feature size",
                       rankedType(op.table()).getDimSize(1),
                       "input feature size",
                       rankedType(op.input()).getDimSize(2))))
    return failure();
  return expectSameShapeResult(o, op.input());
}

static LogicalResult verify(LinearOp op) {
  Operation *o = op.getOperation();
  if (failed(expectFeatureAxis(o, op.input())) ||
      failed(expectRank(o, op.weight(), "weight", 2)))
    return failure();
  auto weight = rankedType(op.weight());
  int64_t n = weight.getDimSize(0);
  if (failed(expectDim(o, "weight in-features", weight.getDimSize(1),
                       "input feature size", featureSize(op.input()))) ||
      failed(expectOptionalBias(o, op.bias(), "weight out-features", n)))
    return failure();
  return expectResultWithLastDim(o, op.input(), n);
}

static LogicalResult verify(MatmulOp op) {
  auto lhs = rankedType(op.lhs()), rhs = rankedType(op.rhs());
  if (lhs.getRank() < 2 || lhs.getRank() != rhs.getRank())
    return op.emitOpError() << "expects operands of one rank >= 2 but got "
                            << lhs << " and " << rhs;
  int64_t rank = lhs.getRank();
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i + 2 < rank; ++i) {
    if (!dimsCompatible(lhs.getDimSize(i), rhs.getDimSize(i)))
      return op.emitOpError() << "expects equal batch dim " << i << " but got "
                              << lhs << " and " << rhs;
    shape.push_back(ShapedType::isDynamic(lhs.getDimSize(i))
                        ? rhs.getDimSize(i)
                        : lhs.getDimSize(i));
  }
  int64_t m = lhs.getDimSize(rank - (op.transpose_a() ? 1 : 2));
  int64_t kl = lhs.getDimSize(rank - (op.transpose_a() ? 2 : 1));
  int64_t kr = rhs.getDimSize(rank - (op.transpose_b() ? 1 : 2));
  int64_t n = rhs.getDimSize(rank - (op.transpose_b() ? 2 : 1));
  if (failed(expectDim(op, "rhs contraction size", kr, "lhs contraction size",
                       kl)))
    return failure();
  shape.push_back(m);
  shape.push_back(n);
  return expectResultShape(op, shape);
}

static LogicalResult verify(SplitHeadsOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.input(), "input", 3)))
    return failure();
  auto input = rankedType(op.input());
  int64_t heads = op.heads(), d = input.getDimSize(2);
  if (heads <= 0)
    return op.emitOpError() << "expects a positive head count but got "
                            << heads;
  if (!ShapedType::isDynamic(d) && d % heads != 0)
    return op.emitOpError() << "expects heads (" << heads
                            << ") to divide the feature size (" << d << ")";
  int64_t dh = ShapedType::isDynamic(d) ? d : d / heads;
  return expectResultShape(
      o, {input.getDimSize(0), heads, input.getDimSize(1), dh});
}

static LogicalResult verify(MergeHeadsOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.input(), "input", 4)))
    return failure();
  auto input = rankedType(op.input());
  int64_t h = input.getDimSize(1), dh = input.getDimSize(3);
  int64_t d = ShapedType::isDynamic(h) || ShapedType::isDynamic(dh)
                  ? ShapedType::kDynamicSize
                  : h * dh;
  return expectResultShape(o, {input.getDimSize(0), input.getDimSize(2), d});
}

static LogicalResult verify(ScaleOp op) { return success(); }

static LogicalResult verify(AddOp op) {
  Operation *o = op.getOperation();
  if (failed(expectShapesCompatible(o, "rhs", op.rhs(), "lhs", op.lhs())))
    return failure();
  return expectSameShapeResult(o, op.lhs());
}

static LogicalResult verify(ReluOp) { return success(); }
static LogicalResult verify(GeluOp) { return success(); }
static LogicalResult verify(GeluTanhOp) { return success(); }
static LogicalResult verify(SwishOp) { return success(); }

static LogicalResult verify(PaddingMaskOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.scores(), "scores", 4)) ||
      failed(expectRank(o, op.lengths(), "lengths", 1)) ||
      failed(expectDim(o, "lengths size", rankedType(op.lengths()).getDimSize(0),
                       "scores batch size",
                       rankedType(op.scores()).getDimSize(0))))
    return failure();
  return expectSameShapeResult(o, op.scores());
}

static LogicalResult verify(CausalMaskOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.scores(), "scores", 4)))
    return failure();
  return expectSameShapeResult(o, op.scores());
}

static LogicalResult verify(SoftmaxOp op) {
  return expectFeatureAxis(op.getOperation(), op.input());
}

// The scale and shift vectors and eps of a LayerNorm over `input`.
static LogicalResult expectNormParameters(Operation *o, Value input,
                                          Value gamma, Value beta,
                                          APFloat eps) {
  int64_t d = featureSize(input);
  if (failed(expectRank(o, gamma, "gamma", 1)) ||
      failed(expectRank(o, beta, "beta", 1)) ||
      failed(expectDim(o, "gamma size", rankedType(gamma).getDimSize(0),
                       "input feature size", d)) ||
      failed(expectDim(o, "beta size", rankedType(beta).getDimSize(0),
                       "input feature size", d)))
    return failure();
  if (!(eps.convertToDouble() > 0))
    return o->emitOpError() << "expects a positive eps but got "
                            << eps.convertToDouble();
  return success();
}

static LogicalResult verify(LayerNormOp op) {
  Operation *o = op.getOperation();
  if (failed(expectFeatureAxis(o, op.input())) ||
      failed(expectNormParameters(o, op.input(), op.gamma(), op.beta(),
                                  op.eps())))
    return failure();
  return expectSameShapeResult(o, op.input());
}

static LogicalResult verify(KvCacheReadOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.cache(), "cache", 4)) ||
      failed(expectRank(o, op.origin(), "origin", 1)))
    return failure();
  auto cache = rankedType(op.cache());
  return expectResultShape(o, {rankedType(op.origin()).getDimSize(0),
                               cache.getDimSize(1), cache.getDimSize(2),
                               cache.getDimSize(3)});
}

static LogicalResult verify(KvCacheAppendOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.cache(), "cache", 4)) ||
      failed(expectRank(o, op.update(), "update", 4)))
    return failure();
  auto cache = rankedType(op.cache()), update = rankedType(op.update());
  static const char *names[] = {"batch size", "head count", "", "head size"};
  for (int i : {0, 1, 3}) {
    if (failed(expectDim(o, std::string("update ") + names[i],
                         update.getDimSize(i), std::string("cache ") + names[i],
                         cache.getDimSize(i))))
      return failure();
  }
  int64_t p = cache.getDimSize(2), t = update.getDimSize(2);
  int64_t len = ShapedType::isDynamic(p) || ShapedType::isDynamic(t)
                    ? ShapedType::kDynamicSize
                    : p + t;
  return expectResultShape(
      o, {cache.getDimSize(0), cache.getDimSize(1), len, cache.getDimSize(3)});
}

static LogicalResult verify(ConcatWeightsOp op) {
  if (op.names().empty())
    return op.emitOpError() << "expects at least one weight name";
  auto type = op.getType().cast<RankedTensorType>();
  if (!type.hasStaticShape())
    return op.emitOpError() << "expects a static shape but got " << type;
  return success();
}

static LogicalResult verify(SliceOp op) {
  Operation *o = op.getOperation();
  if (failed(expectFeatureAxis(o, op.input())))
    return failure();
  int64_t n = featureSize(op.input());
  if (op.offset() < 0 || op.size() <= 0 ||
      (!ShapedType::isDynamic(n) && op.offset() + op.size() > n))
    return op.emitOpError() << "expects the range [" << op.offset() << ", "
                            << op.offset() + op.size()
                            << ") to lie within the last axis (" << dimString(n)
                            << ")";
  return expectResultWithLastDim(o, op.input(), op.size());
}

static LogicalResult verify(PackRowsOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.input(), "input", 3)) ||
      failed(expectRank(o, op.lengths(), "lengths", 1)))
    return failure();
  auto input = rankedType(op.input());
  if (failed(expectDim(o, "lengths size", rankedType(op.lengths()).getDimSize(0),
                       "batch", input.getDimSize(0))))
    return failure();
  return expectResultShape(o, {ShapedType::kDynamicSize, input.getDimSize(2)});
}

static LogicalResult verify(UnpackRowsOp op) {
  Operation *o = op.getOperation();
  if (failed(expectRank(o, op.packed(), "packed rows", 2)) ||
      failed(expectRank(o, op.lengths(), "lengths", 1)) ||
      failed(expectRank(o, op.like(), "like", 2)))
    return failure();
  auto like = rankedType(op.like());
  if (failed(expectDim(o, "lengths size", rankedType(op.lengths()).getDimSize(0),
                       "batch", like.getDimSize(0))))
    return failure();
  return expectResultShape(o, {like.getDimSize(0), like.getDimSize(1),
                               featureSize(op.packed())});
}

static LogicalResult verify(PackedWeightOp op) {
  auto type = op.getType().cast<RankedTensorType>();
  int64_t p = op.panel_width(), rows = op.rows();
  if (p <= 0 || rows <= 0)
    return op.emitOpError() << "expects positive rows and panel_width but got "
                            << rows << " and " << p;
  if (type.getRank() != 3 || !type.hasStaticShape() ||
      type.getDimSize(0) != (rows + p - 1) / p || type.getDimSize(2) != p)
    return op.emitOpError() << "expects type [" << (rows + p - 1) / p
                            << "xKx" << p << "] for " << rows
                            << " rows in panels of " << p << " but got "
                            << type;
  return success();
}

static bool isActivationName(StringRef name) {
  return name == "none" || name == "relu" || name == "gelu" ||
         name == "gelu_tanh" || name == "swish";
}

// The packed weight [ceil(n/P), k, P] of a projection of `input` to `n`
// features.
static LogicalResult expectPackedProjection(Operation *o, Value input,
                                            Value packed, int64_t n) {
  if (failed(expectFeatureAxis(o, input)) ||
      failed(expectRank(o, packed, "packed weight", 3)))
    return failure();
  auto type = rankedType(packed);
  if (failed(expectDim(o, "packed weight depth", type.getDimSize(1),
                       "input feature size", featureSize(input))))
    return failure();
  int64_t p = type.getDimSize(2);
  if (n <= 0 || (p > 0 && type.getDimSize(0) != (n + p - 1) / p))
    return o->emitOpError() << "expects " << type.getDimSize(0)
                            << " panels of " << p
                            << " to cover out_features but got " << n;
  return success();
}

static LogicalResult verify(GemmOp op) {
  Operation *o = op.getOperation();
  int64_t n = op.out_features();
  if (failed(expectPackedProjection(o, op.input(), op.packed(), n)))
    return failure();
  if (failed(expectOptionalBias(o, op.bias(), "out_features", n)))
    return failure();
  if (!isActivationName(op.activation()))
    return op.emitOpError() << "expects activation none, relu, gelu, "
                               "gelu_tanh or swish but got '"
                            << op.activation() << "'";
  return expectResultWithLastDim(o, op.input(), n);
}

static LogicalResult verify(AttentionOp op) {
  Operation *o = op.getOperation();
  for (auto [value, name] : {std::pair{op.query(), "query"},
                             std::pair{op.key(), "key"},
                             std::pair{op.value(), "value"}})
    if (failed(expectRank(o, value, name, 4)))
      return failure();
  auto q = rankedType(op.query()), k = rankedType(op.key()),
       v = rankedType(op.value());
  if (failed(expectDim(o, "key head size", k.getDimSize(3), "query head size",
                       q.getDimSize(3))) ||
      failed(expectDim(o, "key head count", k.getDimSize(1),
                       "query head count", q.getDimSize(1))) ||
      failed(expectDim(o, "value length", v.getDimSize(2), "key length",
                       k.getDimSize(2))))
    return failure();
  // lengths and key_rows, when present, hold one entry per query row.
  for (auto [rows, name] : {std::pair{op.lengths(), "lengths"},
                            std::pair{op.key_rows(), "key_rows"}})
    if (rows && (failed(expectRank(o, rows, name, 1)) ||
                 failed(expectDim(o, (std::string(name) + " size").c_str(),
                                  rankedType(rows).getDimSize(0),
                                  "query batch size", q.getDimSize(0)))))
      return failure();
  if (!op.key_rows() &&
      failed(expectDim(o, "key batch size", k.getDimSize(0),
                       "query batch size", q.getDimSize(0))))
    return failure();
  if (failed(expectDim(o, "value batch size", v.getDimSize(0),
                       "key batch size", k.getDimSize(0))))
    return failure();
  return expectResultShape(o, {q.getDimSize(0), q.getDimSize(1),
                               q.getDimSize(2), v.getDimSize(3)});
}

static LogicalResult verify(AddLayerNormOp op) {
  Operation *o = op.getOperation();
  if (failed(expectShapesCompatible(o, "residual", op.residual(), "input",
                                    op.input())) ||
      failed(expectFeatureAxis(o, op.input())) ||
      failed(expectNormParameters(o, op.input(), op.gamma(), op.beta(),
                                  op.eps())))
    return failure();
  return expectSameShapeResult(o, op.input());
}

static LogicalResult verify(LinearArgmaxOp op) {
  Operation *o = op.getOperation();
  int64_t n = op.out_features();
  if (failed(expectPackedProjection(o, op.input(), op.packed(), n)) ||
      failed(expectOptionalBias(o, op.bias(), "out_features", n)))
    return failure();
  return expectResultShape(o, rankedType(op.input()).getShape().drop_back());
}

// Vocabularies up to 2^24 keep their token ids exact as f32 records.
static constexpr int64_t kMaxRecordVocab = int64_t(1) << 24;

static LogicalResult verify(ArgmaxOp op) {
  Operation *o = op.getOperation();
  if (failed(expectFeatureAxis(o, op.logits())))
    return failure();
  auto shape = rankedType(op.logits()).getShape();
  return expectResultShape(o, shape.drop_back());
}

static LogicalResult verify(LogSoftmaxTopKOp op) {
  Operation *o = op.getOperation();
  if (failed(expectFeatureAxis(o, op.logits())))
    return failure();
  int64_t vocab = featureSize(op.logits());
  if (!ShapedType::isDynamic(vocab) && vocab >= kMaxRecordVocab)
    return op.emitOpError() << "expects a vocabulary below 2^24 so token ids "
                               "are exact in f32 records but got "
                            << vocab;
  auto shape = rankedType(op.logits()).getShape();
  SmallVector<int64_t> expected(shape.begin(), shape.end());
  expected.back() = ShapedType::kDynamicSize;
  expected.push_back(2);
  return expectResultShape(o, expected);
}

#define GET_OP_CLASSES
#include "ir/TxcOps.cpp.inc"
