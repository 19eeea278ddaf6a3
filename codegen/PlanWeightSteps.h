// Weight steps of a plan function, as codegen adds, finds and drops them
// while it rewires steps to the tensors the weight file holds.
#pragma once

#include "runtime/Plan.h"

#include <string>

namespace txc::codegen {

// The weight step defining `value`, or null when another step computes it.
const runtime::PlanStep *weightProducer(const runtime::PlanFunction &fn,
                                        int value);

// Adds a value of `shape` to `fn` and returns a step reading weight `name`
// into it. The caller inserts the step before its first reader; weight
// steps have no operands, so the front of `fn.steps` is always valid.
runtime::PlanStep newWeightStep(runtime::PlanFunction &fn,
                                const std::string &name, runtime::Dims shape,
                                const std::string &location);

// Drops the weight steps no step reads and `fn` does not return, so the
// weight file holds only what is used.
void pruneUnusedWeightSteps(runtime::PlanFunction &fn);

} // namespace txc::codegen
