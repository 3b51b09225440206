// The result of a run, as one JSON object (--json) or a table for people.
//
// JSON fields (see docs/PERFORMANCE.md): scenario, target, runId, mode ("closed"|"open"),
// connections, threads, ratePerSecond (null in a closed loop), requestedDurationSeconds,
// durationSeconds (measured: from the start of the load to the end of its last operation),
// requests (operations answered), errors (operations without an answer, not in requests),
// httpRequests (HTTP exchanges, answered or not), scheduled, unsent, throughputPerSecond
// (requests / durationSeconds), latencyMs {p50, p90, p99, p999, max, mean} of the answered
// operations, statuses {"201": n, …} (summing to requests), steps (per HTTP step of a
// multi-step operation), setup (what the run created and sold), invariantsOk (null when the
// scenario checks nothing) and invariants [{name, ok, detail}].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/driver.h"
#include "loadgen/invariants.h"
#include "loadgen/recorder.h"

namespace bo::loadgen {

// A named fact about the run's data ("scheduleId", "seatsHeld"): a string or a number.
struct Fact {
  std::string name;
  std::string text;
  std::int64_t number = 0;
  bool is_number = false;

  static Fact Text(std::string name, std::string text) {
    return Fact{std::move(name), std::move(text), 0, false};
  }
  static Fact Number(std::string name, std::int64_t n) {
    return Fact{std::move(name), {}, n, true};
  }
};

// One HTTP step of a multi-step operation (pay: hold, charge, pay): its own statuses, errors
// and latencies, each timed from its own start.
struct StepSummary {
  std::string name;
  Recorder recorder;
};

struct RunSummary {
  std::string scenario;
  std::string target;
  std::string run_id;
  int connections = 0;
  int threads = 0;
  double rate_per_second = 0;  // 0: closed loop
  double requested_duration_seconds = 0;
  LoadResult load;
  std::vector<StepSummary> steps;
  std::vector<Fact> setup;
  std::optional<InvariantReport> invariants;
};

std::string FormatJson(const RunSummary& s);
std::string FormatTable(const RunSummary& s);

}  // namespace bo::loadgen
