#include "RandomModel.h"

#include "frontend/CanonicalWeights.h"
#include "ir/Evaluator.h"
#include "ir/ModuleConventions.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>

using namespace txc;
using namespace txc::testing;
namespace conv = txc::conventions;

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool isNormGain(const RequiredWeight &weight) {
  llvm::StringRef name = weight.name;
  return weight.shape.size() == 1 && name.endswith(".weight") &&
         (name.contains("layer_norm") || name.contains("layernorm"));
}

ModelSpec tinySpec() {
  ModelSpec spec;
  spec.name = "tiny";
  spec.dModel = 16;
  spec.heads = 2;
  spec.ffnDim = 32;
  spec.encoderLayers = 2;
  spec.decoderLayers = 2;
  spec.sourceVocab = 24;
  spec.targetVocab = 24;
  spec.maxPositions = 16;
  return spec;
}

std::vector<int32_t> randomIds(std::mt19937 &rng, size_t count, int64_t vocab) {
  std::uniform_int_distribution<int32_t> id(0, vocab - 1);
  std::vector<int32_t> ids(count);
  for (int32_t &v : ids)
    v = id(rng);
  return ids;
}

// Enough digits to tell any two floats apart.
std::string exactString(float v) {
  std::ostringstream os;
  os << std::setprecision(9) << v;
  return os.str();
}

} // namespace

RandomWeights::RandomWeights(const ModelSpec &spec, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
  for (const RequiredWeight &weight : requiredWeights(spec)) {
    std::vector<float> values(elementCount(weight.shape));
    float base = isNormGain(weight) ? 1.f : 0.f;
    for (float &v : values)
      v = base + noise(rng);
    tensors[weight.name] = {weight.shape, std::move(values)};
  }
}

llvm::Expected<WeightView> RandomWeights::lookup(llvm::StringRef name) const {
  auto it = tensors.find(name.str());
  if (it == tensors.end())
    return error("no tensor named '" + name + "'");
  return WeightView{it->second.first, it->second.second};
}

std::vector<ModelVariant> txc::testing::modelVariants() {
  std::vector<ModelVariant> variants;

  ModelSpec postRelu = tinySpec();
  variants.push_back({"post_relu_tied", postRelu});

  ModelSpec preGelu = tinySpec();
  preGelu.norm = NormPlacement::Pre;
  preGelu.finalNorm = true;
  preGelu.embeddingNorm = true;
  preGelu.activation = Activation::Gelu;
  preGelu.positions = PositionKind::Learned;
  preGelu.positionOffset = 2;
  preGelu.tieOutput = false;
  preGelu.outputBias = true;
  preGelu.targetVocab = 20;
  variants.push_back({"pre_gelu_untied_bias", preGelu});

  ModelSpec postSwish = tinySpec();
  postSwish.activation = Activation::Swish;
  postSwish.sinusoidLayout = SinusoidLayout::Halves;
  postSwish.scaleEmbedding = false;
  postSwish.outputBias = true;
  variants.push_back({"post_swish_bias", postSwish});

  ModelSpec preGeluTanh = tinySpec();
  preGeluTanh.norm = NormPlacement::Pre;
  preGeluTanh.finalNorm = true;
  preGeluTanh.activation = Activation::GeluTanh;
  variants.push_back({"pre_gelu_tanh", preGeluTanh});
  return variants;
}

llvm::Expected<std::vector<RecordedCall>>
txc::testing::recordCalls(mlir::ModuleOp module, const ModelSpec &spec,
                          const WeightSource &weights, unsigned seed) {
  auto encode = module.lookupSymbol<mlir::FuncOp>(conv::kEncodeFunc);
  auto decode = module.lookupSymbol<mlir::FuncOp>(conv::kDecodeStepFunc);
  if (!encode || !decode)
    return error("the module lacks @encode or @decode_step");
  std::mt19937 rng(seed);
  Evaluator evaluator(weights);
  std::vector<RecordedCall> calls;
  auto call = [&](mlir::FuncOp fn, std::vector<EvalValue> args) -> llvm::Error {
    auto results = evaluator.run(fn, args);
    if (!results)
      return results.takeError();
    calls.push_back({fn.getName().str(), std::move(args), *results});
    return llvm::Error::success();
  };

  const int64_t batch = 3, srcLen = 5;
  EvalValue lengths = EvalValue::i32({batch}, {5, 2, 4});
  if (llvm::Error e =
          call(encode,
               {EvalValue::i32({batch, srcLen}, randomIds(rng, batch * srcLen,
                                                          spec.sourceVocab)),
                lengths}))
    return std::move(e);
  // Copies share the tensors' storage.
  std::vector<EvalValue> cross(calls.back().results.begin() + 1,
                               calls.back().results.end());

  // Self caches start empty; each step continues the previous step's.
  int64_t layers = spec.decoderLayers;
  std::vector<EvalValue> selfCaches(
      2 * layers, EvalValue::f32({batch, spec.heads, 0, spec.headDim()}, {}));
  struct Step {
    int64_t position, tokens;
    std::vector<int32_t> origin, sentence;
  };
  // Rows read the cross K/V of the sentence they name, in any order.
  const Step steps[] = {{0, 3, {0, 1, 2}, {0, 1, 2}},
                        {3, 2, {2, 0, 0}, {2, 0, 0}},
                        {5, 1, {1, 2, 0}, {1, 2, 0}}};
  for (const Step &step : steps) {
    std::vector<int32_t> tokens =
        randomIds(rng, batch * step.tokens, spec.targetVocab);
    if (step.position == 0)
      for (int64_t row = 0; row < batch; ++row)
        tokens[row * step.tokens] = spec.decoderStartId;
    std::vector<int32_t> rowLengths;
    for (int32_t sentence : step.sentence)
      rowLengths.push_back(lengths.i32()[sentence]);
    std::vector<EvalValue> args = {
        EvalValue::i32({batch, step.tokens}, std::move(tokens)),
        EvalValue::index(step.position),
        EvalValue::i32({batch}, std::move(rowLengths)),
        EvalValue::i32({batch}, step.origin),
        EvalValue::i32({batch}, step.sentence)};
    args.insert(args.end(), selfCaches.begin(), selfCaches.end());
    args.insert(args.end(), cross.begin(), cross.end());
    if (llvm::Error e = call(decode, std::move(args)))
      return std::move(e);
    const std::vector<EvalValue> &results = calls.back().results;
    selfCaches.assign(results.begin() + 1, results.end());
  }
  return calls;
}

std::vector<EvalValue>
txc::testing::withoutPadding(llvm::ArrayRef<EvalValue> results,
                             llvm::ArrayRef<int32_t> lengths) {
  std::vector<EvalValue> real;
  for (const EvalValue &r : results) {
    int64_t positionAxis = r.rank() == 4 ? 2 : 1;
    llvm::ArrayRef<int64_t> shape = r.shape();
    int64_t inner = elementCount(shape.drop_front(positionAxis + 1));
    int64_t perSentence = elementCount(shape.drop_front(1));
    std::vector<float> values(r.f32().begin(), r.f32().end());
    for (size_t i = 0; i < values.size(); ++i) {
      int64_t sentence = i / perSentence;
      int64_t position = (i / inner) % shape[positionAxis];
      if (position >= lengths[sentence])
        values[i] = 0.0f;
    }
    real.push_back(EvalValue::f32(shape.vec(), std::move(values)));
  }
  return real;
}

std::string txc::testing::compareResults(llvm::ArrayRef<EvalValue> expected,
                                         llvm::ArrayRef<EvalValue> actual,
                                         double relative) {
  if (expected.size() != actual.size())
    return std::to_string(actual.size()) + " results instead of " +
           std::to_string(expected.size());
  for (size_t r = 0; r < expected.size(); ++r) {
    const EvalValue &want = expected[r], &got = actual[r];
    if (want.typeString() != got.typeString())
      return "result " + std::to_string(r) + " is " + got.typeString() +
             " instead of " + want.typeString();
    llvm::ArrayRef<float> w = want.f32(), g = got.f32();
    size_t differing = 0, first = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      double scale =
          std::max({std::fabs(double(w[i])), std::fabs(double(g[i])), 1e-2});
      if (!(std::fabs(double(w[i]) - g[i]) <= relative * scale) &&
          differing++ == 0)
        first = i;
    }
    if (differing)
      return "result " + std::to_string(r) + ": " + std::to_string(differing) +
             " of " + std::to_string(w.size()) +
             " elements differ; the first, at " + std::to_string(first) +
             ", is " + exactString(g[first]) + " instead of " +
             exactString(w[first]);
  }
  return "";
}
