#include "codegen/PlanWeightSteps.h"

#include <set>
#include <vector>

using namespace txc;
using runtime::OpKind;
using runtime::PlanFunction;
using runtime::PlanStep;

const PlanStep *codegen::weightProducer(const PlanFunction &fn, int value) {
  for (const PlanStep &producer : fn.steps)
    if (producer.result == value)
      return producer.kind == OpKind::Weight ? &producer : nullptr;
  return nullptr;
}

PlanStep codegen::newWeightStep(PlanFunction &fn, const std::string &name,
                                runtime::Dims shape,
                                const std::string &location) {
  runtime::ValueType type;
  type.shape = std::move(shape);
  PlanStep step;
  step.kind = OpKind::Weight;
  step.attrs["name"] = name;
  step.result = int(fn.values.size());
  step.location = location;
  fn.values.push_back(std::move(type));
  return step;
}

void codegen::pruneUnusedWeightSteps(PlanFunction &fn) {
  std::set<int> used(fn.results.begin(), fn.results.end());
  for (const PlanStep &step : fn.steps)
    used.insert(step.operands.begin(), step.operands.end());
  std::vector<PlanStep> kept;
  for (PlanStep &step : fn.steps)
    if (step.kind != OpKind::Weight || used.count(step.result))
      kept.push_back(std::move(step));
  fn.steps = std::move(kept);
}
