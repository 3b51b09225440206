// The experiment's output: one JSON object (--json) or a table for people.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lockbench/consistency.h"
#include "lockbench/runner.h"
#include "lockbench/schema.h"

namespace bo::lockbench {

// One strategy's run and what was found after it.
struct StrategyReport {
  RunResult run;
  StoredCounts stored;
  Verdict verdict;
};

// The settings of the whole experiment, echoed in the output.
struct ReportSettings {
  int workers = 0;
  double duration_seconds = 0;
  std::int64_t capacity = 0;
  int retry_attempts_max = 0;
  int lock_wait_ms = 0;
  int lock_ttl_ms = 0;
  int backoff_initial_us = 0;
  int backoff_max_us = 0;
  int batch_size_max = 0;
  int transaction_delay_ms = 0;
  ServerSettings server;
};

// True when every strategy's verdict is consistent.
bool AllConsistent(const std::vector<StrategyReport>& reports);

// {"strategies": [{"strategy", "throughputPerSecond", "latencyMs": {"p50", "p99", …},
//   "failures", "consistent", …}], "consistent", "settings": {…}}; one line, no newline.
std::string FormatJson(const ReportSettings& settings, const std::vector<StrategyReport>& reports);

// A table, one row per strategy, then a line per failure kind, problem and counter seen.
std::string FormatTable(const ReportSettings& settings, const std::vector<StrategyReport>& reports);

}  // namespace bo::lockbench
