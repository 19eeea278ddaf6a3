#include "codegen/EmbeddingPanels.h"

#include "codegen/PlanWeightSteps.h"

#include <algorithm>
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

// The packed copy of weight `name` when it holds that table: `table` is
// [rows, d].
const PackedWeight *packedCopyOf(const KernelSelection &selection,
                                 const std::string &name,
                                 const runtime::Dims &table) {
  if (table.size() != 2)
    return nullptr;
  for (const PackedWeight &packed : selection.packedWeights)
    if (packed.source == name && packed.n == table[0] &&
        packed.k == table[1])
      return &packed;
  return nullptr;
}

// Puts the weight steps defining `values` first (weight steps have no
// operands, so any weight step may move to the front), then the rest in
// order.
void readWeightsFirst(PlanFunction &fn, const std::set<int> &values) {
  std::stable_partition(fn.steps.begin(), fn.steps.end(),
                        [&](const PlanStep &step) {
                          return step.kind == OpKind::Weight &&
                                 values.count(step.result);
                        });
}

void gatherInFunction(PlanFunction &fn, const KernelSelection &selection) {
  std::map<std::string, int> weightValues;
  for (const PlanStep &step : fn.steps)
    if (step.kind == OpKind::Weight)
      weightValues.emplace(step.attrString("name"), step.result);
  // Tables other steps read row by row themselves (a screened
  // linear_argmax rescores rows of its weight) stay row-major for the
  // lookup too, so the function touches one copy of the table, not two.
  std::set<std::string> readAsRows;
  for (const PlanStep &step : fn.steps)
    if (step.kind != OpKind::Embedding)
      for (int operand : step.operands)
        if (const PlanStep *w = operand >= 0 ? weightProducer(fn, operand)
                                             : nullptr)
          readAsRows.insert(w->attrString("name"));
  std::vector<PlanStep> added;
  std::set<int> panelValues;
  for (PlanStep &step : fn.steps) {
    if (step.kind != OpKind::Embedding)
      continue;
    const PlanStep *table = weightProducer(fn, step.operands[0]);
    if (!table || readAsRows.count(table->attrString("name")))
      continue;
    // A copy: adding a weight step adds a value to `fn`.
    const runtime::Dims rows = fn.values[step.operands[0]].shape;
    const PackedWeight *packed =
        packedCopyOf(selection, table->attrString("name"), rows);
    if (!packed)
      continue;
    auto [value, isNew] = weightValues.try_emplace(packed->name, -1);
    if (isNew) {
      int64_t panels = (packed->n + packed->panelWidth - 1) /
                       packed->panelWidth;
      added.push_back(newWeightStep(fn, packed->name,
                                    {panels, packed->k, packed->panelWidth},
                                    step.location));
      value->second = added.back().result;
    }
    step.operands[0] = value->second;
    step.attrs["vocab"] = rows[0];
    panelValues.insert(value->second);
  }
  fn.steps.insert(fn.steps.begin(), added.begin(), added.end());
  // The output projection reads its panels after the lookup.
  readWeightsFirst(fn, panelValues);
  pruneUnusedWeightSteps(fn);
}

} // namespace

void txc::codegen::gatherEmbeddingsFromPanels(
    runtime::Plan &plan, const KernelSelection &selection) {
  for (PlanFunction *fn : plan.functions())
    gatherInFunction(*fn, selection);
}
