#include "adapters/postgres/coalescing/step_plan.h"

#include <algorithm>

#include "common/assert.h"

namespace bo::postgres {
namespace {

// Whether `run` may be one of the runs of a set-based statement.
bool Coalescible(const QueuedRun& run) {
  const pg::SetForm* set = run.statement->set_form;
  return set != nullptr && !(set->reply == pg::SetReply::kUnread && run.awaited);
}

}  // namespace

std::vector<StepGroup> PlanStep(std::span<const std::vector<QueuedRun>> jobs) {
  std::vector<StepGroup> plan;
  std::vector<size_t> next(jobs.size(), 0);  // each job's first run not yet planned
  size_t first_job = 0;                      // jobs before it have every run planned
  for (;;) {
    // Runs that go alone go first, so that they do not split the groups behind them.
    for (size_t job = first_job; job < jobs.size(); ++job) {
      while (next[job] < jobs[job].size() && !Coalescible(jobs[job][next[job]])) {
        plan.push_back(StepGroup{jobs[job][next[job]].statement, false, {RunRef{job, next[job]}}});
        ++next[job];
      }
    }
    while (first_job < jobs.size() && next[first_job] == jobs[first_job].size()) ++first_job;
    if (first_job == jobs.size()) break;
    const QueuedRun& head = jobs[first_job][next[first_job]];
    // Every job whose next runs are this statement joins with all of them: taking from the
    // front of each queue keeps each job's order.
    std::vector<RunRef> runs;
    size_t jobs_in = 0;
    for (size_t job = first_job; job < jobs.size(); ++job) {
      const size_t before = runs.size();
      while (next[job] < jobs[job].size() && jobs[job][next[job]].statement == head.statement &&
             Coalescible(jobs[job][next[job]])) {
        runs.push_back(RunRef{job, next[job]++});
      }
      if (runs.size() > before) ++jobs_in;
    }
    if (jobs_in < kSetFormJobsMin) {
      for (const RunRef& run : runs) plan.push_back(StepGroup{head.statement, false, {run}});
      continue;
    }
    for (size_t from = 0; from < runs.size(); from += kSetFormRunsMax) {
      const size_t to = std::min(runs.size(), from + kSetFormRunsMax);
      plan.push_back(
          StepGroup{head.statement, true,
                    std::vector<RunRef>(runs.begin() + static_cast<std::ptrdiff_t>(from),
                                        runs.begin() + static_cast<std::ptrdiff_t>(to))});
    }
  }
  return plan;
}

}  // namespace bo::postgres
