// The load driver over fake sessions (no network): how many operations an open loop
// schedules, that each is given once, and that a stalled server shows in open-loop latencies
// (measured from the scheduled time) but not in closed-loop ones. No assertion depends on the
// machine being fast: timers never fire early, so a stall gives latencies at least so long.
#include "loadgen/driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <set>
#include <vector>

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Answers `status` after yielding to the io_context once; the operation numbered
// `stall_sequence` first waits `stall`.
class FakeSession final : public LoadSession {
 public:
  FakeSession(asio::any_io_executor executor, std::vector<std::int64_t>& sequences, int status,
              std::int64_t stall_sequence, milliseconds stall)
      : executor_(std::move(executor)),
        sequences_(sequences),
        status_(status),
        stall_sequence_(stall_sequence),
        stall_(stall) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t sequence) override {
    sequences_.push_back(sequence);
    if (sequence == stall_sequence_) {
      asio::steady_timer timer(executor_, stall_);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    } else {
      co_await asio::post(executor_, asio::use_awaitable);
    }
    co_return Outcome{status_, 1};
  }

 private:
  asio::any_io_executor executor_;
  std::vector<std::int64_t>& sequences_;
  int status_;
  std::int64_t stall_sequence_;
  milliseconds stall_;
};

struct Fakes {
  explicit Fakes(int connections, int status = 200, std::int64_t stall_sequence = -1,
                 milliseconds stall = milliseconds(0))
      : sequences(static_cast<size_t>(connections)),
        status(status),
        stall_sequence(stall_sequence),
        stall(stall) {}

  SessionFactory Factory() {
    return [this](int connection, int, asio::any_io_executor executor) {
      return std::make_unique<FakeSession>(std::move(executor),
                                           sequences[static_cast<size_t>(connection)], status,
                                           stall_sequence, stall);
    };
  }

  // Every sequence number handed out, sorted.
  std::vector<std::int64_t> All() const {
    std::vector<std::int64_t> all;
    for (const auto& s : sequences) all.insert(all.end(), s.begin(), s.end());
    std::sort(all.begin(), all.end());
    return all;
  }

  std::vector<std::vector<std::int64_t>> sequences;  // per connection
  int status;
  std::int64_t stall_sequence;
  milliseconds stall;
};

std::vector<std::int64_t> Iota(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

TEST(loadgen_LoadDriver, ScheduledOperationsIsRateTimesDurationRoundedDown) {
  EXPECT_EQ(ScheduledOperations(200, milliseconds(500)), 100);
  EXPECT_EQ(ScheduledOperations(100, milliseconds(290)), 29);  // 28.999999999999996 unrounded
  EXPECT_EQ(ScheduledOperations(0.5, milliseconds(3000)), 1);
  EXPECT_EQ(ScheduledOperations(3, milliseconds(999)), 2);
  EXPECT_EQ(ScheduledOffset(0, 200), std::chrono::nanoseconds(0));
  EXPECT_EQ(ScheduledOffset(3, 200), milliseconds(15));
}

TEST(loadgen_LoadDriver, OpenLoopSendsExactlyTheScheduledOperationsEachOnce) {
  Fakes fakes(4);
  LoadOptions options;
  options.connections = 4;
  options.duration = milliseconds(500);
  options.rate_per_second = 200;
  const LoadResult result = RunLoad(options, fakes.Factory());
  EXPECT_EQ(result.scheduled, 100);
  EXPECT_EQ(result.unsent, 0);
  EXPECT_EQ(result.totals.answered(), 100);
  EXPECT_EQ(result.totals.count_of(200), 100);
  EXPECT_EQ(result.totals.errors(), 0);
  EXPECT_EQ(result.totals.http_requests(), 100);
  EXPECT_EQ(fakes.All(), Iota(100));
  // Each connection takes the schedule in order.
  for (const auto& s : fakes.sequences) EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
}

TEST(loadgen_LoadDriver, OpenLoopOverSeveralThreadsStillSendsEachOperationOnce) {
  Fakes fakes(8);
  LoadOptions options;
  options.connections = 8;
  options.threads = 3;
  options.duration = milliseconds(400);
  options.rate_per_second = 500;
  const LoadResult result = RunLoad(options, fakes.Factory());
  EXPECT_EQ(result.scheduled, 200);
  EXPECT_EQ(result.totals.answered(), 200);
  EXPECT_EQ(fakes.All(), Iota(200));
}

TEST(loadgen_LoadDriver, OpenLoopLatencyIncludesTheWaitBehindAStalledServer) {
  // One connection at 100/s for 1 s; the first operation stalls 300 ms. Operations 1..20 are due
  // at 10..200 ms but cannot start before 300 ms, so 21 latencies are at least 100 ms.
  Fakes fakes(1, 200, /*stall_sequence=*/0, milliseconds(300));
  LoadOptions options;
  options.connections = 1;
  options.duration = milliseconds(1000);
  options.rate_per_second = 100;
  const LoadResult result = RunLoad(options, fakes.Factory());
  ASSERT_EQ(result.totals.answered(), 100);
  const auto& latency_us = result.totals.latency_us();
  EXPECT_GE(latency_us.max(), 300'000);
  // Ranks 80..100 of 100 are the 21 slow ones.
  EXPECT_GE(latency_us.ValueAtPercentile(80), 100'000);
}

TEST(loadgen_LoadDriver, ClosedLoopLatencyDoesNotIncludeTheWait) {
  // The same stall in a closed loop delays the next operations instead of showing in their
  // latency: one latency of 300 ms among many short ones.
  Fakes fakes(1, 200, /*stall_sequence=*/0, milliseconds(300));
  LoadOptions options;
  options.connections = 1;
  options.duration = milliseconds(1000);
  const LoadResult result = RunLoad(options, fakes.Factory());
  const auto& latency_us = result.totals.latency_us();
  EXPECT_GE(latency_us.max(), 300'000);
  ASSERT_GE(result.totals.answered(), 200);  // a post() takes far less than 3.5 ms
  EXPECT_LT(latency_us.ValueAtPercentile(99), 100'000);
  EXPECT_EQ(result.scheduled, result.totals.answered());
  EXPECT_EQ(result.unsent, 0);
  EXPECT_EQ(fakes.All(), Iota(result.totals.answered()));
}

TEST(loadgen_LoadDriver, OpenLoopLeavesUnsentWhatIsTooLateAfterTheSchedule) {
  // 50 operations due in 500 ms; the first stalls 700 ms, and nothing may start after the
  // schedule's end: the other 49 are never sent.
  Fakes fakes(1, 200, /*stall_sequence=*/0, milliseconds(700));
  LoadOptions options;
  options.connections = 1;
  options.duration = milliseconds(500);
  options.rate_per_second = 100;
  options.drain_max = milliseconds(0);
  const LoadResult result = RunLoad(options, fakes.Factory());
  EXPECT_EQ(result.scheduled, 50);
  EXPECT_EQ(result.totals.answered(), 1);
  EXPECT_EQ(result.unsent, 49);
  EXPECT_EQ(fakes.All(), Iota(1));
}

TEST(loadgen_LoadDriver, OperationsWithoutAnAnswerAreErrorsNotStatuses) {
  Fakes fakes(2, /*status=*/0);
  LoadOptions options;
  options.connections = 2;
  options.duration = milliseconds(200);
  options.rate_per_second = 100;
  const LoadResult result = RunLoad(options, fakes.Factory());
  EXPECT_EQ(result.totals.errors(), 20);
  EXPECT_EQ(result.totals.answered(), 0);
  EXPECT_TRUE(result.totals.status_counts().empty());
  EXPECT_EQ(result.totals.http_requests(), 20);
}

TEST(loadgen_LoadDriver, ReportsProgressWhileRunning) {
  Fakes fakes(1);
  LoadOptions options;
  options.connections = 1;
  options.duration = milliseconds(350);
  options.rate_per_second = 100;
  options.progress_interval = milliseconds(100);
  std::mutex mu;
  std::vector<Progress> seen;
  RunLoad(options, fakes.Factory(), [&](const Progress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
  });
  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].completed, seen[i - 1].completed);
    EXPECT_GE(seen[i].elapsed_seconds, seen[i - 1].elapsed_seconds);
  }
  EXPECT_LE(seen.back().completed, 35);
}

}  // namespace
}  // namespace bo::loadgen
