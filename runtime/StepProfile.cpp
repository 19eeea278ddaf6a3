#include "runtime/StepProfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>

namespace txc::runtime {

std::vector<ProfileRow>
profileRows(const std::vector<const PlanExecutor *> &executors) {
  std::map<std::pair<std::string, std::string>, ProfileRow> byWork;
  for (const PlanExecutor *executor : executors) {
    const PlanFunction &fn = executor->function();
    const std::vector<StepTime> &times = executor->stepTimes();
    for (size_t i = 0; i < times.size(); ++i) {
      StepWork work = executor->stepWork(i);
      if (work == StepWork::None || times[i].calls == 0)
        continue;
      const PlanStep &step = fn.steps[i];
      std::string label = work == StepWork::Kernel
                              ? step.kernel
                              : std::string("runtime ") + opKindName(step.kind);
      ProfileRow &row = byWork[{fn.name, label}];
      row.function = fn.name;
      row.work = label;
      ++row.steps;
      row.calls += times[i].calls;
      row.seconds += times[i].seconds;
    }
  }
  std::vector<ProfileRow> rows;
  for (auto &entry : byWork)
    rows.push_back(std::move(entry.second));
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ProfileRow &a, const ProfileRow &b) {
                     return a.seconds > b.seconds;
                   });
  return rows;
}

void writeStepProfile(const std::vector<ProfileRow> &rows, double wallSeconds,
                      std::ostream &out) {
  size_t functionWidth = 8, workWidth = 4;
  for (const ProfileRow &row : rows) {
    functionWidth = std::max(functionWidth, row.function.size());
    workWidth = std::max(workWidth, row.work.size());
  }
  double percent = wallSeconds > 0 ? 100.0 / wallSeconds : 0.0;
  out << fmt::format("profile: {:.3f} s of wall time translating, by "
                     "function and kernel\n",
                     wallSeconds);
  out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>8}  {:>10}  {:>5}\n",
                     "function", functionWidth, "work", workWidth, "steps",
                     "calls", "ms", "%");
  double inSteps = 0;
  for (const ProfileRow &row : rows) {
    inSteps += row.seconds;
    out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>8}  {:>10.1f}  {:>5.1f}\n",
                       row.function, functionWidth, row.work, workWidth,
                       row.steps, row.calls, row.seconds * 1e3,
                       row.seconds * percent);
  }
  double outside = std::max(0.0, wallSeconds - inSteps);
  out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>8}  {:>10.1f}  {:>5.1f}\n",
                     "-", functionWidth, "outside the steps (search, I/O)",
                     workWidth, "", "", outside * 1e3, outside * percent);
}

} // namespace txc::runtime
