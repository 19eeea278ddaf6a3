// Checks a parsed plan is one the executor can run: every value defined
// once before its uses, operand counts and element types as each kind's
// signature says, the attributes each kind needs, and @encode/@decode_step
// with the argument and result lists of ir/ModuleConventions.h.
#pragma once

#include "runtime/Plan.h"

namespace txc::runtime {

// `source` names the plan in messages.
Status verifyPlanFunction(const PlanFunction &function,
                          const std::string &source);

Status verifyPlan(const Plan &plan, const std::string &source);

// "encode step 12 (linear, encoder.layers.0.fc1)", for messages.
std::string describeStep(const PlanFunction &function, size_t index);

} // namespace txc::runtime
