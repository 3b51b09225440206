#include "lockbench/runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/assert.h"

namespace bo::lockbench {
namespace {

using Clock = std::chrono::steady_clock;

// What one worker saw; merged into the RunResult after the run.
struct WorkerTally {
  std::int64_t attempts = 0;
  std::array<std::int64_t, kOutcomeCount> outcomes{};
  std::int64_t retries = 0;
  loadgen::LatencyHistogram latency_us;
  std::string first_error;
  bool stopped = false;
  Clock::time_point finished;
};

// Lets the main thread wait until every worker has its session, then release them together.
class StartGate {
 public:
  explicit StartGate(int workers) : waiting_for_(workers) {}

  // A worker is ready (or failed to get ready: `error` not empty). Blocks until Open() or
  // Abort(); true if the run goes ahead.
  bool Arrive(const std::string& error) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!error.empty() && error_.empty()) error_ = error;
    --waiting_for_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return state_ != State::kWaiting; });
    return state_ == State::kOpen;
  }

  // Waits for every worker; returns the first error of any, empty if all are ready.
  std::string AwaitAll() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return waiting_for_ == 0; });
    return error_;
  }

  void Open() { Release(State::kOpen); }
  void Abort() { Release(State::kAborted); }

 private:
  enum class State { kWaiting, kOpen, kAborted };
  void Release(State state) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = state;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_for_;
  std::string error_;
  State state_ = State::kWaiting;
};

void Work(Session& session, Clock::time_point deadline, WorkerTally& tally) {
  for (;;) {
    const Clock::time_point begun = Clock::now();
    if (begun >= deadline) break;
    Attempt attempt = session.Purchase();
    const Clock::time_point ended = Clock::now();
    tally.latency_us.Record(
        std::chrono::duration_cast<std::chrono::microseconds>(ended - begun).count());
    ++tally.attempts;
    ++tally.outcomes[static_cast<int>(attempt.outcome)];
    tally.retries += attempt.retries;
    if (IsFailure(attempt.outcome) && tally.first_error.empty()) {
      tally.first_error = attempt.error.empty() ? std::string(OutcomeName(attempt.outcome))
                                                : std::move(attempt.error);
    }
    if (!session.usable()) {
      tally.stopped = true;
      break;
    }
  }
  tally.finished = Clock::now();
}

}  // namespace

Result<RunResult> Run(Strategy& strategy, const RunOptions& options) {
  BO_ASSERT(options.workers >= 1 && options.workers <= kWorkersMax);
  BO_ASSERT(options.duration_seconds > 0);
  const int n = options.workers;
  std::vector<WorkerTally> tallies(static_cast<size_t>(n));
  StartGate gate(n);
  Clock::time_point start;
  Clock::time_point deadline;  // written before gate.Open(), read after Arrive() returns

  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto session = strategy.OpenSession(i);
      const bool go = gate.Arrive(session ? std::string() : session.error().detail);
      if (!go || !session) return;
      Work(**session, deadline, tallies[static_cast<size_t>(i)]);
    });
  }
  const std::string error = gate.AwaitAll();
  if (!error.empty()) {
    gate.Abort();
    for (std::thread& t : threads) t.join();
    return MakeError(ErrorCode::kUnavailable,
                     std::string(strategy.name()) + ": opening a worker's session: " + error);
  }
  start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options.duration_seconds));
  gate.Open();
  for (std::thread& t : threads) t.join();

  RunResult result;
  result.strategy = std::string(strategy.name());
  result.workers = n;
  Clock::time_point last = start;
  for (WorkerTally& tally : tallies) {
    result.attempts += tally.attempts;
    for (int k = 0; k < kOutcomeCount; ++k) result.outcomes[k] += tally.outcomes[k];
    result.retries += tally.retries;
    result.latency_us.Merge(tally.latency_us);
    if (result.first_error.empty()) result.first_error = std::move(tally.first_error);
    if (tally.stopped) ++result.workers_stopped;
    last = std::max(last, tally.finished);
  }
  result.elapsed_seconds = std::chrono::duration<double>(last - start).count();
  result.counters = strategy.Counters();
  return result;
}

}  // namespace bo::lockbench
