#include "loadgen/driver.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/assert.h"

namespace bo::loadgen {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::int64_t ScheduledOperations(double rate_per_second, std::chrono::nanoseconds duration) {
  const double product = rate_per_second * std::chrono::duration<double>(duration).count();
  return static_cast<std::int64_t>(std::floor(product + 1e-9));
}

std::chrono::nanoseconds ScheduledOffset(std::int64_t sequence, double rate_per_second) {
  BO_ASSERT(rate_per_second > 0);
  return std::chrono::nanoseconds(
      std::llround(static_cast<double>(sequence) * 1e9 / rate_per_second));
}

namespace {

// What the connections of one run share. Each thread records into its own Recorder and each
// connection writes only its own slot of last_done; the counters are atomic.
struct Run {
  LoadOptions options;
  std::int64_t scheduled_total = 0;  // open loop
  Clock::time_point t0;
  Clock::time_point end;
  Clock::time_point start_deadline;  // open loop: no operation starts after it
  std::atomic<std::int64_t> next_sequence{0};
  std::atomic<std::int64_t> started{0};
  std::atomic<std::int64_t> completed{0};
  std::vector<Recorder> recorders;           // one per thread
  std::vector<Clock::time_point> last_done;  // one per connection
};

void Account(Run& run, Recorder& recorder, const Outcome& outcome, Clock::duration latency) {
  if (outcome.status == 0) {
    recorder.RecordError();
  } else {
    recorder.RecordAnswer(std::chrono::duration_cast<std::chrono::microseconds>(latency).count(),
                          outcome.status);
  }
  recorder.AddHttpRequests(outcome.http_requests);
  run.completed.fetch_add(1, std::memory_order_relaxed);
}

asio::awaitable<void> ClosedLoop(Run& run, LoadSession& session, Recorder& recorder,
                                 Clock::time_point& last_done) {
  while (Clock::now() < run.end) {
    const std::int64_t sequence = run.next_sequence.fetch_add(1, std::memory_order_relaxed);
    run.started.fetch_add(1, std::memory_order_relaxed);
    const auto start = Clock::now();
    const Outcome outcome = co_await session.RunOnce(sequence);
    last_done = Clock::now();
    Account(run, recorder, outcome, last_done - start);
  }
}

asio::awaitable<void> OpenLoop(Run& run, LoadSession& session, Recorder& recorder,
                               Clock::time_point& last_done) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    const std::int64_t sequence = run.next_sequence.fetch_add(1, std::memory_order_relaxed);
    if (sequence >= run.scheduled_total) break;
    const auto due = run.t0 + ScheduledOffset(sequence, run.options.rate_per_second);
    const auto now = Clock::now();
    if (due > now) {
      timer.expires_at(due);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    } else if (now > run.start_deadline) {
      break;  // what is left of the schedule is counted as unsent
    }
    run.started.fetch_add(1, std::memory_order_relaxed);
    const Outcome outcome = co_await session.RunOnce(sequence);
    last_done = Clock::now();
    Account(run, recorder, outcome, last_done - due);
  }
}

// Runs every context on its own thread (the first on the caller's) until it runs out of work.
void RunContexts(std::vector<std::unique_ptr<asio::io_context>>& contexts) {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < contexts.size(); ++i) {
    threads.emplace_back([&ctx = *contexts[i]] { ctx.run(); });
  }
  contexts[0]->run();
  for (auto& t : threads) t.join();
  for (auto& ctx : contexts) ctx->restart();
}

// Calls `progress` every interval until `done` is set.
class ProgressReporter {
 public:
  ProgressReporter(const Run& run, const ProgressFn& progress) : run_(run), progress_(progress) {
    if (progress_ && run_.options.progress_interval.count() > 0) {
      thread_ = std::thread([this] { Loop(); });
    }
  }
  ~ProgressReporter() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::int64_t last_completed = 0;
    auto last_time = run_.t0;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, run_.options.progress_interval, [this] { return done_; })) {
      const auto now = Clock::now();
      Progress p;
      p.elapsed_seconds = std::chrono::duration<double>(now - run_.t0).count();
      p.completed = run_.completed.load(std::memory_order_relaxed);
      const double seconds = std::chrono::duration<double>(now - last_time).count();
      p.recent_rate_per_second =
          seconds > 0 ? static_cast<double>(p.completed - last_completed) / seconds : 0;
      last_completed = p.completed;
      last_time = now;
      progress_(p);
    }
  }

  const Run& run_;
  const ProgressFn& progress_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

LoadResult RunLoad(const LoadOptions& options, const SessionFactory& new_session,
                   const ProgressFn& progress) {
  BO_ASSERT(options.connections >= 1 && options.connections <= kConnectionsMax);
  BO_ASSERT(options.threads >= 1 && options.threads <= kThreadsMax);
  BO_ASSERT(options.duration.count() > 0 && options.duration <= kDurationMax);
  BO_ASSERT(options.rate_per_second >= 0 && options.rate_per_second <= kRatePerSecondMax);

  Run run;
  run.options = options;
  run.recorders.resize(static_cast<size_t>(options.threads));
  run.last_done.resize(static_cast<size_t>(options.connections));
  const bool open_loop = options.rate_per_second > 0;
  if (open_loop)
    run.scheduled_total = ScheduledOperations(options.rate_per_second, options.duration);

  // Contexts outlive the sessions, whose sockets and timers belong to them.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < options.threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  std::vector<std::unique_ptr<LoadSession>> sessions;
  for (int i = 0; i < options.connections; ++i) {
    const int thread = i % options.threads;
    sessions.push_back(
        new_session(i, thread, contexts[static_cast<size_t>(thread)]->get_executor()));
    BO_ASSERT(sessions.back() != nullptr);
  }

  std::mutex error_mu;
  std::exception_ptr first_error;
  auto on_done = [&](std::exception_ptr e) {
    if (!e) return;
    std::lock_guard lock(error_mu);
    if (!first_error) first_error = e;
  };

  for (int i = 0; i < options.connections; ++i) {
    asio::co_spawn(*contexts[static_cast<size_t>(i % options.threads)],
                   sessions[static_cast<size_t>(i)]->Open(), on_done);
  }
  RunContexts(contexts);
  if (first_error) std::rethrow_exception(first_error);

  run.t0 = Clock::now();
  run.end = run.t0 + options.duration;
  run.start_deadline = run.end + options.drain_max;
  for (auto& t : run.last_done) t = run.t0;
  for (int i = 0; i < options.connections; ++i) {
    const auto thread = static_cast<size_t>(i % options.threads);
    LoadSession& session = *sessions[static_cast<size_t>(i)];
    Recorder& recorder = run.recorders[thread];
    Clock::time_point& last_done = run.last_done[static_cast<size_t>(i)];
    asio::co_spawn(*contexts[thread],
                   open_loop ? OpenLoop(run, session, recorder, last_done)
                             : ClosedLoop(run, session, recorder, last_done),
                   on_done);
  }
  {
    ProgressReporter reporter(run, progress);
    RunContexts(contexts);
  }
  sessions.clear();
  if (first_error) std::rethrow_exception(first_error);

  LoadResult result;
  for (const auto& r : run.recorders) result.totals.Merge(r);
  const auto last = *std::max_element(run.last_done.begin(), run.last_done.end());
  result.elapsed_seconds = std::chrono::duration<double>(last - run.t0).count();
  const std::int64_t started = run.started.load();
  result.scheduled = open_loop ? run.scheduled_total : started;
  result.unsent = open_loop ? run.scheduled_total - started : 0;
  return result;
}

}  // namespace bo::loadgen
