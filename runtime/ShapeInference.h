// The result shape of each op kind from its operands' shapes, as
// ir/TxcOps.td states it. Batch and sequence dims are only known when a
// function runs, so the executor infers every shape at each call.
#pragma once

#include "runtime/Plan.h"

#include <functional>

namespace txc::runtime {

// `operands` has one entry per operand position: the operand's shape, or
// null for an absent optional operand (index operands have rank 0).
// `indexValue(i)` is the value of index operand i, for the kinds whose
// result size is one (log_softmax_top_k's k). Fails, saying which dims
// disagree, when they do not fit the kind's contract. Weight and Constant
// results come from the plan, not from here.
Status inferShape(const PlanStep &step, const std::vector<const Dims *> &operands,
                  const std::function<int64_t(int)> &indexValue, Dims &result);

} // namespace txc::runtime
