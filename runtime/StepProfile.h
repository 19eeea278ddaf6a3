// Where a translation's time went: the wall time of every step of every
// executor that ran with ExecutorOptions::profile, grouped by function and
// by the kernel (or runtime op) that did the work, largest first.
#pragma once

#include "runtime/PlanExecutor.h"

#include <iosfwd>
#include <vector>

namespace txc::runtime {

// One row of the profile: the steps of `function` that ran `work` (a
// kernel's symbol, or "runtime <op kind>").
struct ProfileRow {
  std::string function;
  std::string work;
  int64_t steps = 0; // distinct plan steps
  int64_t calls = 0;
  double seconds = 0;
};

// The rows of `executors`, largest time first. Steps without work (weights,
// constants, views) are left out.
std::vector<ProfileRow>
profileRows(const std::vector<const PlanExecutor *> &executors);

// Writes the rows as a table, with each row's share of `wallSeconds` and a
// last row for the time outside the steps (search, input and output).
void writeStepProfile(const std::vector<ProfileRow> &rows, double wallSeconds,
                      std::ostream &out);

} // namespace txc::runtime
