#include "ir/ReferenceDecoder.h"

#include "ir/ModuleConventions.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>

using namespace mlir;
using namespace txc;
namespace conv = txc::conventions;

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// Rows `rows` of `value` along dim 0, for f32 and i32 tensors.
EvalValue gatherRows(const EvalValue &value, const std::vector<int32_t> &rows) {
  std::vector<int64_t> shape = value.shape().vec();
  int64_t rowSize = elementCount(value.shape().drop_front());
  shape[0] = static_cast<int64_t>(rows.size());
  auto gather = [&](auto elements) {
    std::vector<typename decltype(elements)::value_type> out;
    out.reserve(rows.size() * rowSize);
    for (int32_t r : rows)
      out.insert(out.end(), elements.begin() + r * rowSize,
                 elements.begin() + (r + 1) * rowSize);
    return out;
  };
  if (value.kind() == EvalValue::Kind::F32)
    return EvalValue::f32(std::move(shape), gather(value.f32()));
  return EvalValue::i32(std::move(shape), gather(value.i32()));
}

// Drives @decode_step for the search: keeps the self-attention caches
// between steps and hands each call the source lengths of its rows'
// sentences, the sentence of each row, and the cross K/V by sentence.
class EvaluatorStepModel : public runtime::StepModel {
public:
  EvaluatorStepModel(Evaluator &evaluator, FuncOp decodeStep,
                     std::vector<EvalValue> cross, EvalValue srcLengths,
                     int64_t layers, int64_t heads, int64_t headDim,
                     int64_t vocab)
      : evaluator(evaluator), decodeStep(decodeStep), cross(std::move(cross)),
        srcLengths(std::move(srcLengths)), layers(layers), heads(heads),
        headDim(headDim), vocab(vocab) {}

  runtime::Status step(int stepIndex, const runtime::StepRows &rows,
                       const runtime::StepRequest &,
                       std::vector<float> &logits,
                       std::vector<int32_t> &) override {
    int64_t n = static_cast<int64_t>(rows.tokens.size());
    if (stepIndex == 0)
      selfCaches.assign(2 * layers, EvalValue::f32({n, heads, 0, headDim}, {}));
    if (rows.sentence != rowSentences) {
      rowSentences = rows.sentence;
      rowSrcLengths = gatherRows(srcLengths, rowSentences);
    }

    std::vector<EvalValue> args = {EvalValue::i32({n, 1}, rows.tokens),
                                   EvalValue::index(stepIndex), rowSrcLengths,
                                   EvalValue::i32({n}, rows.origin),
                                   EvalValue::i32({n}, rows.sentence)};
    args.insert(args.end(), selfCaches.begin(), selfCaches.end());
    args.insert(args.end(), cross.begin(), cross.end());
    llvm::Expected<std::vector<EvalValue>> results =
        evaluator.run(decodeStep, args);
    if (!results)
      return runtime::Status::failure(llvm::toString(results.takeError()));

    const EvalValue &out = (*results)[0];
    if (out.shape() != llvm::makeArrayRef<int64_t>({n, 1, vocab}))
      return runtime::Status::failure("@decode_step returned logits " +
                                      out.typeString() + " for " +
                                      std::to_string(n) + " rows of one token");
    logits.assign(out.f32().begin(), out.f32().end());
    selfCaches.assign(results->begin() + 1, results->end());
    return runtime::Status::success();
  }

private:
  Evaluator &evaluator;
  FuncOp decodeStep;
  std::vector<EvalValue> cross; // one row per sentence
  EvalValue srcLengths;
  int64_t layers, heads, headDim, vocab;
  std::vector<EvalValue> selfCaches; // rows of the previous call
  std::vector<int32_t> rowSentences;
  EvalValue rowSrcLengths;
};

llvm::Expected<int64_t> intAttr(ModuleOp module, llvm::StringRef name) {
  auto attr = module->getAttrOfType<IntegerAttr>(name);
  if (!attr)
    return error("txc module lacks the integer attribute '" + name + "'");
  return attr.getInt();
}

} // namespace

llvm::Expected<ModuleDecodingInfo>
txc::readModuleDecodingInfo(ModuleOp module) {
  ModuleDecodingInfo info;
  struct Field {
    const char *name;
    int64_t *out;
  };
  int64_t pad = 0, start = 0, eos = 0;
  for (Field f :
       {Field{conv::kSourceVocabAttr, &info.sourceVocab},
        Field{conv::kTargetVocabAttr, &info.targetVocab},
        Field{conv::kMaxPositionsAttr, &info.maxPositions},
        Field{conv::kDecoderLayersAttr, &info.decoderLayers},
        Field{conv::kPadAttr, &pad}, Field{conv::kDecoderStartAttr, &start},
        Field{conv::kEosAttr, &eos}}) {
    llvm::Expected<int64_t> v = intAttr(module, f.name);
    if (!v)
      return v.takeError();
    *f.out = *v;
  }
  info.pad = static_cast<int32_t>(pad);
  info.decoderStart = static_cast<int32_t>(start);
  info.eos = static_cast<int32_t>(eos);
  return info;
}

llvm::Expected<std::unique_ptr<ReferenceDecoder>>
ReferenceDecoder::create(ModuleOp module, const WeightSource &weights) {
  llvm::Expected<ModuleDecodingInfo> info = readModuleDecodingInfo(module);
  if (!info)
    return info.takeError();
  auto encodeFn = module.lookupSymbol<FuncOp>(conv::kEncodeFunc);
  auto decodeStepFn = module.lookupSymbol<FuncOp>(conv::kDecodeStepFunc);
  if (!encodeFn || !decodeStepFn)
    return error("txc module lacks @" + llvm::Twine(encodeFn
                                                        ? conv::kDecodeStepFunc
                                                        : conv::kEncodeFunc));
  int64_t layers = info->decoderLayers;
  FunctionType enc = encodeFn.getType(), dec = decodeStepFn.getType();
  if (enc.getNumInputs() != 2 ||
      enc.getNumResults() != static_cast<unsigned>(1 + 2 * layers))
    return error("@encode must take 2 arguments and return " +
                 llvm::Twine(1 + 2 * layers) + " values for " +
                 llvm::Twine(layers) + " decoder layers");
  if (dec.getNumInputs() !=
          static_cast<unsigned>(conv::kDecodeFirstCacheArg + 4 * layers) ||
      dec.getNumResults() != static_cast<unsigned>(1 + 2 * layers))
    return error("@decode_step must take " +
                 llvm::Twine(conv::kDecodeFirstCacheArg + 4 * layers) +
                 " arguments and return " + llvm::Twine(1 + 2 * layers) +
                 " values for " + llvm::Twine(layers) + " decoder layers");
  int64_t heads = 0, headDim = 0;
  if (layers > 0) {
    auto cache =
        dec.getInput(conv::kDecodeFirstCacheArg).dyn_cast<RankedTensorType>();
    if (!cache || cache.getRank() != 4 || cache.isDynamicDim(1) ||
        cache.isDynamicDim(3))
      return error("@decode_step's first self cache must be a 4-d tensor "
                   "with static heads and head size");
    heads = cache.getDimSize(1);
    headDim = cache.getDimSize(3);
  }
  return std::unique_ptr<ReferenceDecoder>(new ReferenceDecoder(
      weights, *info, encodeFn, decodeStepFn, heads, headDim));
}

ReferenceDecoder::ReferenceDecoder(const WeightSource &weights,
                                   ModuleDecodingInfo info, FuncOp encodeFn,
                                   FuncOp decodeStepFn, int64_t heads,
                                   int64_t headDim)
    : moduleInfo(info), encodeFn(encodeFn), decodeStepFn(decodeStepFn),
      heads(heads), headDim(headDim), evaluator(weights) {}

llvm::Expected<std::vector<EvalValue>>
ReferenceDecoder::encode(const std::vector<std::vector<int32_t>> &sources,
                         EvalValue &lengths) {
  int64_t lines = static_cast<int64_t>(sources.size()), longest = 0;
  for (int64_t i = 0; i < lines; ++i) {
    const std::vector<int32_t> &src = sources[i];
    if (static_cast<int64_t>(src.size()) > moduleInfo.maxPositions)
      return error("source line " + llvm::Twine(i) + " has " +
                   llvm::Twine(src.size()) + " ids, more than max_positions " +
                   llvm::Twine(moduleInfo.maxPositions));
    for (int32_t id : src)
      if (id < 0 || id >= moduleInfo.sourceVocab)
        return error("source line " + llvm::Twine(i) + ": id " +
                     llvm::Twine(id) + " is outside [0, " +
                     llvm::Twine(moduleInfo.sourceVocab) + ")");
    longest = std::max<int64_t>(longest, src.size());
  }
  std::vector<int32_t> ids(lines * longest, moduleInfo.pad), lens;
  for (int64_t i = 0; i < lines; ++i) {
    std::copy(sources[i].begin(), sources[i].end(), ids.begin() + i * longest);
    lens.push_back(static_cast<int32_t>(sources[i].size()));
  }
  lengths = EvalValue::i32({lines}, std::move(lens));
  return evaluator.run(
      encodeFn, {EvalValue::i32({lines, longest}, std::move(ids)), lengths});
}

llvm::Expected<EvalValue> ReferenceDecoder::encoderOutput(
    const std::vector<std::vector<int32_t>> &sources) {
  EvalValue lengths;
  llvm::Expected<std::vector<EvalValue>> outputs = encode(sources, lengths);
  if (!outputs)
    return outputs.takeError();
  const EvalValue &memory = outputs->front();
  int64_t lines = memory.dim(0), longest = memory.dim(1), d = memory.dim(2);
  std::vector<float> values = memory.f32().vec();
  for (int64_t i = 0; i < lines; ++i)
    std::fill(values.begin() + (i * longest + lengths.i32()[i]) * d,
              values.begin() + (i + 1) * longest * d, 0.f);
  return EvalValue::f32(memory.shape().vec(), std::move(values));
}

llvm::Expected<std::vector<runtime::SentenceResult>>
ReferenceDecoder::decode(const std::vector<std::vector<int32_t>> &sources,
                         const runtime::SearchOptions &options,
                         const runtime::LogitsObserver &observer) {
  if (options.maxLength > moduleInfo.maxPositions)
    return error("max length " + llvm::Twine(options.maxLength) +
                 " exceeds the model's max_positions " +
                 llvm::Twine(moduleInfo.maxPositions));
  runtime::SearchConfig config{moduleInfo.decoderStart, moduleInfo.eos,
                               static_cast<int32_t>(moduleInfo.targetVocab)};
  if (runtime::Status s = runtime::validateSearch(config, options); !s.ok())
    return error(s.message());
  std::vector<runtime::SentenceResult> results;
  if (sources.empty())
    return results;

  EvalValue lengths;
  llvm::Expected<std::vector<EvalValue>> outputs = encode(sources, lengths);
  if (!outputs)
    return outputs.takeError();
  std::vector<EvalValue> cross(outputs->begin() + 1, outputs->end());
  EvaluatorStepModel model(evaluator, decodeStepFn, std::move(cross), lengths,
                           moduleInfo.decoderLayers, heads, headDim,
                           moduleInfo.targetVocab);
  runtime::Status s =
      runtime::searchBatch(model, config, options,
                           static_cast<int>(sources.size()), results, observer);
  if (!s.ok())
    return error(s.message());
  return results;
}

llvm::Expected<std::vector<runtime::SentenceResult>>
txc::decodeWithReference(ModuleOp module, const WeightSource &weights,
                         const std::vector<std::vector<int32_t>> &sources,
                         const runtime::SearchOptions &options,
                         const runtime::LogitsObserver &observer) {
  llvm::Expected<std::unique_ptr<ReferenceDecoder>> decoder =
      ReferenceDecoder::create(module, weights);
  if (!decoder)
    return decoder.takeError();
  return (*decoder)->decode(sources, options, observer);
}
