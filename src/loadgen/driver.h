// The load driver: runs one LoadSession per connection on io_context threads, in one of two
// loops.
//
// Closed loop (rate 0): each connection sends its next operation as soon as the previous one is
// answered, until the duration is over; latency runs from the start of each operation.
//
// Open loop (rate R): operation i is scheduled at t0 + i/R for i = 0 .. ⌊R·D⌋-1, whatever the
// server does. A connection that is free takes the next scheduled operation and waits for its
// time; when every connection is busy the schedule still advances, so the next free connection
// starts a late operation at once. Latency runs from the scheduled time, so a server that queues
// cannot hide it by slowing the client down (no coordinated omission).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "loadgen/recorder.h"

namespace bo::loadgen {

inline constexpr int kConnectionsMax = 4096;
inline constexpr int kThreadsMax = 64;
inline constexpr double kRatePerSecondMax = 1'000'000;
inline constexpr std::chrono::seconds kDurationMax{24 * 3600};

// How one operation ended.
struct Outcome {
  int status = 0;         // the HTTP status that ended it; 0: no answer (transport error)
  int http_requests = 1;  // HTTP exchanges it made, answered or not
};

// The work of one connection. Its methods run one at a time, on the executor it was made for.
class LoadSession {
 public:
  virtual ~LoadSession() = default;
  // Called once before the load starts, untimed (to connect). Failing here is not fatal: the
  // operations report what goes wrong.
  virtual boost::asio::awaitable<void> Open() { co_return; }
  // Runs one operation. `sequence` numbers the operations of the whole run from 0; each number
  // is given to one call only.
  virtual boost::asio::awaitable<Outcome> RunOnce(std::int64_t sequence) = 0;
};

// Makes the session of connection `connection_index` (0..connections-1), which runs on thread
// `thread_index` (connection_index % threads) with `executor`. Called from one thread.
using SessionFactory = std::function<std::unique_ptr<LoadSession>(
    int connection_index, int thread_index, boost::asio::any_io_executor executor)>;

struct Progress {
  double elapsed_seconds = 0;
  std::int64_t completed = 0;         // operations ended so far, answered or not
  double recent_rate_per_second = 0;  // since the previous report
};
using ProgressFn = std::function<void(const Progress&)>;

struct LoadOptions {
  int connections = 1;                                         // REQUIRES: 1..kConnectionsMax
  int threads = 1;                                             // REQUIRES: 1..kThreadsMax
  std::chrono::nanoseconds duration{std::chrono::seconds(1)};  // REQUIRES: 0 < duration <= max
  double rate_per_second = 0;  // 0: closed loop. REQUIRES: 0..kRatePerSecondMax
  // Open loop: an operation not started by the end of the schedule plus this is not sent.
  std::chrono::nanoseconds drain_max{std::chrono::seconds(30)};
  // How often `progress` is called; 0: never.
  std::chrono::nanoseconds progress_interval{0};
};

struct LoadResult {
  Recorder totals;  // every thread's recorder, merged
  // From the start of the load to the end of the last operation.
  double elapsed_seconds = 0;
  // Operations started (closed loop), or scheduled (open loop: ⌊rate·duration⌋).
  std::int64_t scheduled = 0;
  // Open loop: scheduled operations never started because drain_max ran out.
  std::int64_t unsent = 0;
};

// ⌊rate_per_second · duration⌋, with a tolerance of 1e-9 for the rounding of the product.
std::int64_t ScheduledOperations(double rate_per_second, std::chrono::nanoseconds duration);

// When operation `sequence` is due after the start of an open-loop run: sequence / rate.
// REQUIRES: rate_per_second > 0.
std::chrono::nanoseconds ScheduledOffset(std::int64_t sequence, double rate_per_second);

// Runs the load and returns what it recorded. Every session's Open() runs first, then the clock
// starts. Blocks until the last operation has ended. If a session throws, the run still ends
// and the first exception is rethrown.
LoadResult RunLoad(const LoadOptions& options, const SessionFactory& new_session,
                   const ProgressFn& progress = {});

}  // namespace bo::loadgen
