#include "codegen/WeightEmission.h"

#include "codegen/WeightNames.h"
#include "codegen/WeightPacking.h"
#include "runtime/WeightFile.h"
#include "runtime/VocabScreen.h"
#include "runtime/WeightFileWriter.h"

#include <deque>
#include <map>
#include <set>

using namespace txc;
using namespace txc::codegen;

static llvm::Error failure(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s",
                                 message.c_str());
}

static std::string dimsText(llvm::ArrayRef<int64_t> dims) {
  return runtime::formatDims(runtime::Dims(dims.begin(), dims.end()));
}

// The floats of `name`, a model weight or a stacked list of them
// (WeightNames.h), which must hold `expected` [rows, inner...] rows in
// order. A stacked list is copied into `storage`.
static llvm::Expected<llvm::ArrayRef<float>>
stackedValues(const WeightSource &weights, const std::string &name,
              llvm::ArrayRef<int64_t> expected,
              std::deque<std::vector<float>> &storage) {
  std::vector<std::string> parts = stackedWeightParts(name);
  std::vector<float> *stacked =
      parts.size() > 1 ? &storage.emplace_back() : nullptr;
  llvm::ArrayRef<float> values;
  int64_t rows = 0;
  for (const std::string &part : parts) {
    auto view = weights.lookup(part);
    if (!view)
      return view.takeError();
    if (view->shape.empty() ||
        view->shape.drop_front() != expected.drop_front())
      return failure("weight '" + part + "' is " + dimsText(view->shape) +
                     ", the compiled model reads rows of " +
                     dimsText(expected.drop_front()));
    rows += view->shape.front();
    if (stacked)
      stacked->insert(stacked->end(), view->values.begin(),
                      view->values.end());
    else
      values = view->values;
  }
  if (rows != expected.front())
    return failure("weight '" + name + "' has " + std::to_string(rows) +
                   " rows, the compiled model reads " +
                   std::to_string(expected.front()));
  return stacked ? llvm::ArrayRef<float>(*stacked) : values;
}

namespace {

// The int8 screen and its stats, made once per screen for both tensors.
struct ScreenTensors {
  std::vector<int8_t> screen;
  std::vector<float> stats;
};

} // namespace

static llvm::Expected<const ScreenTensors *>
screenTensors(const ScreenWeight &screen, const WeightSource &weights,
              std::deque<std::vector<float>> &storage,
              std::map<std::string, ScreenTensors> &made) {
  if (auto it = made.find(screen.name); it != made.end())
    return &it->second;
  auto values = stackedValues(weights, screen.source, {screen.n, screen.k},
                              storage);
  if (!values)
    return values.takeError();
  ScreenTensors &out = made[screen.name];
  int64_t panels = (screen.n + screen.panelWidth - 1) / screen.panelWidth;
  out.screen.resize(size_t(panels * screen.k * screen.panelWidth));
  out.stats.resize(size_t(runtime::kScreenStats * screen.n));
  runtime::quantizeScreen(values->data(), screen.n, screen.k,
                          screen.panelWidth, out.screen.data(),
                          out.stats.data());
  return &out;
}

llvm::Error txc::codegen::writePlanWeights(const runtime::Plan &plan,
                                           const KernelSelection &selection,
                                           const WeightSource &weights,
                                           const std::string &path) {
  std::vector<runtime::NamedTensor> tensors;
  std::deque<std::vector<float>> storage; // stable addresses
  std::set<std::string> written;
  std::map<std::string, ScreenTensors> screens;
  for (const runtime::PlanFunction *fn : plan.functions()) {
    for (const runtime::PlanStep &step : fn->steps) {
      if (step.kind != runtime::OpKind::Weight)
        continue;
      std::string name = step.attrString("name");
      if (!written.insert(name).second)
        continue;
      const PackedWeight *packed = findPackedWeight(selection, name);
      runtime::NamedTensor tensor;
      tensor.name = name;
      tensor.shape = fn->values[step.result].shape;
      if (tensor.shape.empty())
        return failure("weight '" + name + "' has no shape in the plan");
      if (const ScreenWeight *screen = findScreenWeight(selection, name)) {
        auto made = screenTensors(*screen, weights, storage, screens);
        if (!made)
          return made.takeError();
        bool bytes = name == screen->name;
        tensor.dtype = bytes ? runtime::DType::I32 : runtime::DType::F32;
        tensor.data = bytes ? static_cast<const void *>((*made)->screen.data())
                            : (*made)->stats.data();
        tensors.push_back(std::move(tensor));
        continue;
      }
      auto values =
          packed ? stackedValues(weights, packed->source,
                                 {packed->n, packed->k}, storage)
                 : stackedValues(weights, name, tensor.shape, storage);
      if (!values)
        return values.takeError();
      if (packed) {
        size_t size = packedGemmWeightSize(packed->n, packed->k,
                                           packed->panelWidth);
        if (size != size_t(runtime::numElements(tensor.shape)))
          return failure("weight '" + name + "' packs to " +
                         std::to_string(size) + " floats, the plan's " +
                         runtime::formatDims(tensor.shape) + " holds " +
                         std::to_string(runtime::numElements(tensor.shape)));
        std::vector<float> &panels = storage.emplace_back(size);
        packGemmWeight(values->data(), packed->n, packed->k,
                       packed->panelWidth, panels.data());
        tensor.data = panels.data();
      } else {
        tensor.data = values->data();
      }
      tensors.push_back(std::move(tensor));
    }
  }
  runtime::Status status = runtime::writeWeightFile(
      path, tensors, {{runtime::kModelMetadataKey, plan.model.name}});
  if (!status.ok())
    return failure(status.message());
  return llvm::Error::success();
}
