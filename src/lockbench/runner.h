// The runner: `workers` threads, each with its own Session of one strategy, make purchase
// attempts back to back for `duration_seconds`, timing each one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "loadgen/histogram.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {

// The most workers a run may have; each usually holds a PostgreSQL connection of its own.
inline constexpr int kWorkersMax = 1000;

struct RunOptions {
  int workers = 64;
  double duration_seconds = 10;
};

struct RunResult {
  std::string strategy;
  int workers = 0;
  // From the start until the last attempt ended (attempts begun before the deadline finish).
  double elapsed_seconds = 0;
  std::int64_t attempts = 0;
  std::array<std::int64_t, kOutcomeCount> outcomes{};  // indexed by Outcome
  std::int64_t retries = 0;
  // Every attempt's latency in microseconds, failed ones included, backoff pauses included.
  loadgen::LatencyHistogram latency_us;
  // One failure's reason (the first of the lowest-numbered worker that failed), to show what
  // went wrong; empty when nothing failed.
  std::string first_error;
  // Workers that stopped early because their session became unusable (a lost connection).
  int workers_stopped = 0;
  // Strategy::Counters() after the run.
  std::vector<std::pair<std::string, std::int64_t>> counters;

  std::int64_t count(Outcome outcome) const { return outcomes[static_cast<int>(outcome)]; }
  std::int64_t failures() const { return attempts - purchased_or_sold_out(); }
  std::int64_t purchased_or_sold_out() const {
    return count(Outcome::kPurchased) + count(Outcome::kSoldOut);
  }
};

// Opens every worker's session, then starts all workers at once and lets them make attempts
// until `duration_seconds` have passed. Fails (and makes no attempt) if a session cannot be
// opened.
// REQUIRES: 1 <= options.workers <= kWorkersMax, options.duration_seconds > 0
Result<RunResult> Run(Strategy& strategy, const RunOptions& options);

}  // namespace bo::lockbench
