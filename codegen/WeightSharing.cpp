#include "codegen/WeightSharing.h"

#include "codegen/WeightNames.h"

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace txc;
using namespace txc::codegen;
using runtime::OpKind;
using runtime::PlanFunction;
using runtime::PlanStep;

namespace {

// The stacked model weights a plan weight name reads: a packed weight or a
// screen reads its source.
std::string stackedSourceOf(const KernelSelection &selection,
                            const std::string &name) {
  if (const PackedWeight *packed = findPackedWeight(selection, name))
    return packed->source;
  if (const ScreenWeight *screen = findScreenWeight(selection, name))
    return screen->source;
  return name;
}

// `screen` reading `source` instead.
ScreenWeight renamedScreen(ScreenWeight screen, const std::string &source) {
  screen.source = source;
  screen.name = screenWeightName(source, screen.panelWidth);
  screen.statsName = screenStatsName(source);
  return screen;
}

// Maps each model weight to the first name of its stored tensor.
class StoredNames {
public:
  explicit StoredNames(const WeightSource &weights) : weights(weights) {}

  // Records `name`, after the names recorded before it.
  llvm::Error add(const std::string &name) {
    if (firstName.count(name))
      return llvm::Error::success();
    llvm::Expected<WeightView> view = weights.lookup(name);
    if (!view)
      return view.takeError();
    std::string first = name;
    for (const auto &[storedView, storedName] : stored)
      if (sameStoredTensor(storedView, *view)) {
        first = storedName;
        break;
      }
    if (first == name)
      stored.emplace_back(*view, name);
    firstName[name] = first;
    return llvm::Error::success();
  }

  bool anyRenamed() const { return stored.size() < firstName.size(); }

  // `stacked` with each part renamed to the first name of its tensor.
  std::string renamed(const std::string &stacked) const {
    std::vector<std::string> parts = stackedWeightParts(stacked);
    for (std::string &part : parts)
      if (auto it = firstName.find(part); it != firstName.end())
        part = it->second;
    return stackedWeightName(parts);
  }

private:
  const WeightSource &weights;
  std::vector<std::pair<WeightView, std::string>> stored;
  std::map<std::string, std::string> firstName;
};

// The weight steps of every function, @encode first.
std::vector<PlanStep *> weightSteps(runtime::Plan &plan) {
  std::vector<PlanStep *> steps;
  for (PlanFunction *function : plan.functions())
    for (PlanStep &step : function->steps)
      if (step.kind == OpKind::Weight)
        steps.push_back(&step);
  return steps;
}

} // namespace

llvm::Error txc::codegen::shareStoredWeights(runtime::Plan &plan,
                                             KernelSelection &selection,
                                             const WeightSource &weights) {
  std::vector<PlanStep *> steps = weightSteps(plan);
  StoredNames names(weights);
  for (const PlanStep *step : steps) {
    std::string stacked = stackedSourceOf(selection, step->attrString("name"));
    for (const std::string &part : stackedWeightParts(stacked))
      if (llvm::Error error = names.add(part))
        return error;
  }
  if (!names.anyRenamed())
    return llvm::Error::success();

  for (PlanStep *step : steps) {
    std::string name = step->attrString("name");
    const PackedWeight *packed = findPackedWeight(selection, name);
    const ScreenWeight *screen = findScreenWeight(selection, name);
    if (packed)
      step->attrs["name"] = packedWeightName(names.renamed(packed->source),
                                             packed->panelWidth);
    else if (screen) {
      ScreenWeight renamed =
          renamedScreen(*screen, names.renamed(screen->source));
      step->attrs["name"] =
          name == screen->name ? renamed.name : renamed.statsName;
    } else
      step->attrs["name"] = names.renamed(name);
  }
  std::vector<ScreenWeight> screens;
  std::set<std::string> screenNames;
  for (const ScreenWeight &screen : selection.screenWeights) {
    ScreenWeight renamed =
        renamedScreen(screen, names.renamed(screen.source));
    if (screenNames.insert(renamed.name).second)
      screens.push_back(std::move(renamed));
  }
  selection.screenWeights = std::move(screens);
  std::vector<PackedWeight> packedWeights;
  std::set<std::string> packedNames;
  for (PackedWeight packed : selection.packedWeights) {
    packed.source = names.renamed(packed.source);
    packed.name = packedWeightName(packed.source, packed.panelWidth);
    if (packedNames.insert(packed.name).second)
      packedWeights.push_back(std::move(packed));
  }
  selection.packedWeights = std::move(packedWeights);
  return llvm::Error::success();
}
