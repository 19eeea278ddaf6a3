#include "codegen/WeightEmission.h"

#include "codegen/WeightPacking.h"
#include "runtime/WeightFile.h"
#include "runtime/WeightFileWriter.h"

#include <deque>
#include <set>

using namespace txc;
using namespace txc::codegen;

llvm::Error txc::codegen::writePlanWeights(const runtime::Plan &plan,
                                           const KernelSelection &selection,
                                           const WeightSource &weights,
                                           const std::string &path) {
  std::vector<runtime::NamedTensor> tensors;
  std::deque<std::vector<float>> packedStorage; // stable addresses
  std::set<std::string> written;
  for (const runtime::PlanFunction *fn : {&plan.encode, &plan.decodeStep}) {
    for (const runtime::PlanStep &step : fn->steps) {
      if (step.kind != runtime::OpKind::Weight)
        continue;
      std::string name = step.attrString("name");
      if (!written.insert(name).second)
        continue;
      const PackedWeight *packed = nullptr;
      for (const PackedWeight &p : selection.packedWeights)
        if (p.name == name)
          packed = &p;
      auto view = weights.lookup(packed ? packed->source : name);
      if (!view)
        return view.takeError();
      runtime::NamedTensor tensor;
      tensor.name = name;
      tensor.shape = fn->values[step.result].shape;
      if (packed) {
        packedStorage.emplace_back(
            packedGemmWeightSize(packed->n, packed->k, packed->panelWidth));
        packGemmWeight(view->values.data(), packed->n, packed->k,
                       packed->panelWidth, packedStorage.back().data());
        tensor.data = packedStorage.back().data();
      } else {
        tensor.data = view->values.data();
      }
      tensors.push_back(std::move(tensor));
    }
  }
  runtime::Status status = runtime::writeWeightFile(
      path, tensors, {{runtime::kModelMetadataKey, plan.model.name}});
  if (!status.ok())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s",
                                   status.message().c_str());
  return llvm::Error::success();
}
