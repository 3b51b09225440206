// Which statements of one round trip of an interleaved batch go together as one set-based
// statement (see pg::SetForm), and in what order everything is sent.
//
// Each job of the batch has queued a few statements since the last round trip. Sent as they
// are, a batch of n jobs that each hold a seat sends n copies of the same UPDATE; planned, the
// n runs of a statement that has a set form go as one statement, whose rows are split back to
// the jobs by ordinality (set_params.h).
//
// The plan keeps each job's statements in the job's own order. Jobs of one batch run side by
// side with no order among them (their conflicts are settled by conditional writes), so their
// statements may be regrouped freely otherwise.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "adapters/postgres/connection.h"

namespace bo::postgres {

// A statement goes as its set form only when at least this many jobs run it at one step: a
// lone job (a batch of one, or the only job at that step) sends its plain statements.
inline constexpr size_t kSetFormJobsMin = 2;
// Runs of one set-based statement at most (elements of each of its arrays); a bigger group is
// sent as several.
inline constexpr size_t kSetFormRunsMax = 4'096;

// One statement a job queued since the last round trip.
struct QueuedRun {
  const pg::Statement* statement;
  bool awaited;  // the job waits for its reply
};

// Where a run is: the job (index into the plan's input) and its place in that job's queue.
struct RunRef {
  size_t job;
  size_t index;
};

// Runs of one statement sent as one: the set form of `statement` over `runs` (in that order,
// ordinals 1 … runs.size()), or, when !set_based, the plain statement once (one run).
struct StepGroup {
  const pg::Statement* statement;
  bool set_based;
  std::vector<RunRef> runs;
};

// Groups every run of `jobs` (each job's queue, in order). Guarantees: every run is in exactly
// one group; a job's runs come in its order (group after group, and within a group); a
// set-based group has a set form, at most kSetFormRunsMax runs, no awaited run if its set
// form's reply is kUnread, and is (a part of) the runs of at least kSetFormJobsMin jobs.
std::vector<StepGroup> PlanStep(std::span<const std::vector<QueuedRun>> jobs);

}  // namespace bo::postgres
