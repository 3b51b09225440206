// The outbox wake-up: the SQLite store signals after a commit that appended events (and only
// then), and a consumer woken by it reads the outbox without waiting for its poll.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "adapters/sqlite/event_delivery.h"
#include "adapters/sqlite/sqlite_store.h"
#include "events/outbox_wakeups.h"
#include "events/webhook_dispatcher.h"
#include "http/metrics.h"
#include "ports/random.h"

namespace bo {
namespace {

class CountingSignal final : public OutboxSignal {
 public:
  void EventsCommitted() noexcept override { signals.fetch_add(1); }
  std::atomic<int> signals{0};
};

class OutboxWakeupTest : public ::testing::Test {
 protected:
  OutboxWakeupTest() {
    char tmpl[] = "/tmp/boxoffice-wakeup-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~OutboxWakeupTest() override { std::filesystem::remove_all(dir_); }

  std::string Path() const { return dir_ + "/boxoffice.db"; }

  // Runs `run` as one write job and waits for its commit; returns whether it committed.
  static bool Write(Store& store, std::function<bool(WriteTx&)> run) {
    std::promise<bool> committed;
    store.Submit(WriteJob{std::move(run), [&](bool c) { committed.set_value(c); }});
    return committed.get_future().get();
  }

  static bool AppendOne(WriteTx& tx, const std::string& id) {
    tx.AppendEvent(Event{id, "wallet.charged", 1'000, "{}"});
    return true;
  }

  std::string dir_;
};

TEST_F(OutboxWakeupTest, TheStoreSignalsAfterACommitThatAppendedEvents) {
  CountingSignal signal;
  sqlite::SqliteOptions options{Path()};
  options.outbox_signal = &signal;
  sqlite::SqliteStore store(options);

  ASSERT_TRUE(Write(store, [](WriteTx&) { return true; }));
  EXPECT_EQ(signal.signals.load(), 0);  // nothing appended: no signal

  ASSERT_TRUE(Write(store, [](WriteTx& tx) { return AppendOne(tx, "evt_1"); }));
  EXPECT_EQ(signal.signals.load(), 1);  // told before the job's answer
}

TEST_F(OutboxWakeupTest, WakeupsReachEverySubscriberUntilCleared) {
  OutboxWakeups wakeups;
  int a = 0;
  int b = 0;
  wakeups.Subscribe([&a] { ++a; });
  wakeups.Subscribe([&b] { ++b; });
  wakeups.EventsCommitted();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  wakeups.Clear();
  wakeups.EventsCommitted();
  EXPECT_EQ(a, 1);
}

// The dispatcher polls once an hour here: only the wake-up can make it fan the event out (its
// cursor passes the event) within the test's patience, which is far shorter.
TEST_F(OutboxWakeupTest, AWokenDispatcherReadsTheOutboxBeforeItsPoll) {
  constexpr int kPollIntervalMs = 3'600'000;
  constexpr auto kPatience = std::chrono::seconds(60);
  OutboxWakeups wakeups;
  sqlite::SqliteOptions options{Path()};
  options.outbox_signal = &wakeups;
  sqlite::SqliteStore store(options);
  sqlite::SqliteEventDelivery delivery(Path());
  SystemClock clock;
  SystemRandom random;
  Metrics metrics;
  WebhookDispatcherOptions dispatcher_options;
  dispatcher_options.poll_interval_ms = kPollIntervalMs;
  WebhookDispatcher dispatcher(delivery, &delivery, clock, random, metrics.events,
                               dispatcher_options);
  wakeups.Subscribe([&dispatcher] { dispatcher.Wake(); });
  dispatcher.Start();

  ASSERT_TRUE(Write(store, [](WriteTx& tx) { return AppendOne(tx, "evt_1"); }));
  const std::int64_t seq = delivery.Outbox().last_seq;
  ASSERT_GT(seq, 0);
  const auto give_up_at = std::chrono::steady_clock::now() + kPatience;
  while (delivery.LoadCursor(kConsumerWebhooks) < seq &&
         std::chrono::steady_clock::now() < give_up_at) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(delivery.LoadCursor(kConsumerWebhooks), seq);
  wakeups.Clear();
  dispatcher.Stop();
}

}  // namespace
}  // namespace bo
