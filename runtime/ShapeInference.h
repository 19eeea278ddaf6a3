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
// result size is one (log_softmax_top_k's k). `i32Data(i)` is the elements
// of i32 operand i when they are known before the call (a function
// argument's), else null: pack_rows counts its rows from the lengths. Fails,
// saying which dims disagree, when they do not fit the kind's contract.
// Weight and Constant results come from the plan, not from here.
Status inferShape(const PlanStep &step, const std::vector<const Dims *> &operands,
                  const std::function<int64_t(int)> &indexValue, Dims &result,
                  const std::function<const int32_t *(int)> &i32Data = {});

} // namespace txc::runtime
