// `boxoffice bench relay`: three phases on a fresh SQLite outbox in a temporary directory,
// each through the real JetStreamPublisher into the nats-server given:
//   throughput  --events events are committed first, then published; events/s from the
//               publisher's start to the last acknowledgment (connecting included);
//   steady      events committed one per write job at --rate for --seconds (open loop, as
//               payments arrive), woken publisher and webhook fan-out running as in `serve`;
//               commit-to-ack lag from the publisher's histogram;
//   lone        --lone-events events --lone-interval-ms apart: the lag of an event that
//               arrives alone (no batch to ride with, no poll to wait for).
#include "relaybench/command.h"

#include <stdlib.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "adapters/nats/jetstream_publisher.h"
#include "adapters/sqlite/event_delivery.h"
#include "adapters/sqlite/sqlite_store.h"
#include "domain/event.h"
#include "events/outbox_wakeups.h"
#include "events/webhook_dispatcher.h"
#include "http/metrics.h"
#include "ports/id_generator.h"
#include "ports/random.h"
#include "relaybench/lag_summary.h"

namespace bo::relaybench {
namespace {

constexpr const char* kCommand = "bench relay";
constexpr double kLagGoalMs = 100;          // a boundary of boxoffice_nats_publish_lag_ms
constexpr int kEventsPerAppendJob = 1'000;  // the throughput phase commits in jobs this big
constexpr int kDrainTimeoutMs = 120'000;    // for the last acknowledgment after a phase
constexpr int kWaitStepMs = 1;

// The data of a payment.completed event with one ticket, as the API encodes it.
constexpr const char* kPaymentJson =
    R"({"id":"pay_0194c3a1f0800001","reservationId":"rsv_0194c3a1d4400000","userId":"usr_1",)"
    R"("method":"POINTS","amount":30000,"status":"PAID","createdAt":"2026-05-01T10:01:02.500Z",)"
    R"("tickets":[{"id":"tkt_0194c3a1f0800002","reservationId":"rsv_0194c3a1d4400000",)"
    R"("scheduleId":"sch_1","seatId":"seat_1","ticketTypeId":null,)"
    R"("code":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",)"
    R"("status":"VALID"}]})";

struct Flags {
  std::string nats;
  int events = 200'000;
  int rate_per_second = 1'000;
  int seconds = 30;
  int lone_events = 20;
  int lone_interval_ms = 100;
  nats::JetStreamPublisherOptions publisher;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kCommand, message.c_str());
  return 2;
}

// The outbox of the benchmark: a store and its event delivery on one temporary file.
class Outbox {
 public:
  explicit Outbox(OutboxSignal& signal)
      : dir_(MakeDir()),
        store_(Options(dir_ + "/relay.db", signal)),
        delivery_(dir_ + "/relay.db"),
        publisher_delivery_(dir_ + "/relay.db"),
        ids_(clock_) {}
  ~Outbox() {
    store_.Close();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // The webhook fan-out's connection, and the publisher's own (as `serve` gives them).
  sqlite::SqliteEventDelivery& delivery() { return delivery_; }
  sqlite::SqliteEventDelivery& publisher_delivery() { return publisher_delivery_; }
  const Clock& clock() const { return clock_; }

  // Commits `count` events in jobs of up to `per_job`, each stamped when its job runs; waits
  // for the last commit.
  void Append(int count, int per_job) {
    std::promise<void> last;
    for (int done = 0; done < count; done += per_job) {
      const int n = std::min(per_job, count - done);
      const bool is_last = done + n >= count;
      store_.Submit(WriteJob{[this, n](WriteTx& tx) {
                               for (int i = 0; i < n; ++i) tx.AppendEvent(NewEvent());
                               return true;
                             },
                             [&last, is_last](bool) {
                               if (is_last) last.set_value();
                             }});
    }
    if (count > 0) last.get_future().wait();
  }

  // Commits `count` events one per job, the i-th submitted at start + i / rate_per_second
  // whether or not earlier ones were committed (open loop).
  void Drive(int count, double rate_per_second) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
      std::this_thread::sleep_until(start +
                                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(i / rate_per_second)));
      store_.Submit(WriteJob{[this](WriteTx& tx) {
                               tx.AppendEvent(NewEvent());
                               return true;
                             },
                             [](bool) {}});
    }
  }

 private:
  static std::string MakeDir() {
    char tmpl[] = "/tmp/boxoffice-relay-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    if (dir == nullptr) throw std::runtime_error("cannot make a temporary directory");
    return dir;
  }
  static sqlite::SqliteOptions Options(const std::string& path, OutboxSignal& signal) {
    sqlite::SqliteOptions options{path};
    options.outbox_signal = &signal;
    return options;
  }
  // On the writer thread only.
  Event NewEvent() {
    return Event{ids_.Next("evt"), kEventPaymentCompleted, clock_.NowMs(), kPaymentJson};
  }

  const std::string dir_;
  SystemClock clock_;
  sqlite::SqliteStore store_;
  sqlite::SqliteEventDelivery delivery_;
  sqlite::SqliteEventDelivery publisher_delivery_;
  TimeOrderedIdGenerator ids_;
};

// Waits until `counter` reaches `target`; false if it did not within timeout_ms.
bool WaitForCount(prometheus::Counter& counter, double target, int timeout_ms) {
  const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (counter.Value() < target) {
    if (std::chrono::steady_clock::now() >= give_up_at) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kWaitStepMs));
  }
  return true;
}

void PrintLag(const char* phase, const LagSummary& s) {
  std::printf(
      "%s: %llu events; commit-to-ack lag p50 <= %.0f ms, p99 <= %.0f ms, max <= %.0f ms; "
      "%.2f%% within %.0f ms\n",
      phase, static_cast<unsigned long long>(s.events), s.p50_ms_at_most, s.p99_ms_at_most,
      s.max_ms_at_most, 100.0 * s.share_within_goal, kLagGoalMs);
}

int Execute(const Flags& flags) {
  OutboxWakeups wakeups;
  Outbox outbox(wakeups);
  nats::JetStreamPublisherOptions publisher_options = flags.publisher;
  publisher_options.url = flags.nats;
  bool all_acknowledged = true;

  {  // Throughput: a backlog published as fast as JetStream acknowledges it.
    Metrics metrics;
    outbox.Append(flags.events, kEventsPerAppendJob);
    nats::JetStreamPublisher publisher(outbox.publisher_delivery(), outbox.clock(), metrics.events,
                                       publisher_options);
    const auto start = std::chrono::steady_clock::now();
    publisher.Start();
    const bool drained = WaitForCount(metrics.events.nats_published, flags.events, kDrainTimeoutMs);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    publisher.Stop();
    all_acknowledged = all_acknowledged && drained;
    std::printf(
        "throughput: %d events in %.3f s = %.0f events/s (window %d, batch %d)%s; duplicates "
        "%.0f\n",
        flags.events, seconds, flags.events / seconds, publisher_options.window_events_max,
        publisher_options.batch_events_max, drained ? "" : " NOT ALL ACKNOWLEDGED",
        metrics.events.nats_duplicates.Value());
  }

  {  // Steady and lone events: the publisher and the webhook fan-out woken by commits.
    Metrics metrics;
    SystemRandom random;
    outbox.delivery().SaveCursor(kConsumerWebhooks, outbox.delivery().Outbox().last_seq);
    WebhookDispatcher webhooks(outbox.delivery(), outbox.clock(), random, metrics.events, {});
    nats::JetStreamPublisher publisher(outbox.publisher_delivery(), outbox.clock(), metrics.events,
                                       publisher_options);
    wakeups.Subscribe([&webhooks] { webhooks.Wake(); });
    wakeups.Subscribe([&publisher] { publisher.Wake(); });
    webhooks.Start();
    publisher.Start();
    auto& published = metrics.events.nats_published;
    auto& lag = metrics.events.nats_publish_lag_ms;

    outbox.Append(1, 1);  // connected and the stream checked before anything is measured
    all_acknowledged = WaitForCount(published, 1, kDrainTimeoutMs) && all_acknowledged;

    const auto before_steady = lag.Collect().histogram;
    const int steady_events = flags.rate_per_second * flags.seconds;
    outbox.Drive(steady_events, flags.rate_per_second);
    const bool steady_drained = WaitForCount(published, 1.0 + steady_events, kDrainTimeoutMs);
    all_acknowledged = all_acknowledged && steady_drained;
    PrintLag(steady_drained ? "steady" : "steady (NOT ALL ACKNOWLEDGED)",
             SummarizeLag(before_steady, lag.Collect().histogram, kLagGoalMs));
    std::printf("steady: %d events/s for %d s, one event per write job\n", flags.rate_per_second,
                flags.seconds);

    const auto before_lone = lag.Collect().histogram;
    outbox.Drive(flags.lone_events, 1000.0 / flags.lone_interval_ms);
    const bool lone_drained =
        WaitForCount(published, 1.0 + steady_events + flags.lone_events, kDrainTimeoutMs);
    all_acknowledged = all_acknowledged && lone_drained;
    PrintLag(lone_drained ? "lone" : "lone (NOT ALL ACKNOWLEDGED)",
             SummarizeLag(before_lone, lag.Collect().histogram, kLagGoalMs));

    wakeups.Clear();
    publisher.Stop();
    webhooks.Stop();
  }
  return all_acknowledged ? 0 : 1;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  Flags flags;
  CLI::App app{
      "Measures the outbox relay to NATS JetStream on a fresh SQLite outbox: publish "
      "throughput of a backlog, then the commit-to-ack lag at a steady rate and of lone "
      "events. Exits 1 if some event was not acknowledged in time, 2 on bad flags.",
      std::string("boxoffice ") + kCommand};
  app.add_option("--nats", flags.nats, "NATS URL (nats://host:port) of a JetStream server")
      ->envname("BOXOFFICE_NATS")
      ->required();
  app.add_option("--events", flags.events, "Throughput: events in the backlog")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--rate", flags.rate_per_second, "Steady: events committed per second")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  app.add_option("--seconds", flags.seconds, "Steady: how long")
      ->check(CLI::Range(1, 3'600))
      ->capture_default_str();
  app.add_option("--lone-events", flags.lone_events, "Lone: events, one at a time")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  app.add_option("--lone-interval-ms", flags.lone_interval_ms, "Lone: pause between events")
      ->check(CLI::Range(1, 60'000))
      ->capture_default_str();
  app.add_option("--window", flags.publisher.window_events_max,
                 "Publisher: events published and not yet acknowledged, at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--batch", flags.publisher.batch_events_max,
                 "Publisher: events read from the outbox at once")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  app.add_option("--ack-timeout-ms", flags.publisher.ack_timeout_ms,
                 "Publisher: wait for an acknowledgment before the window restarts")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!flags.nats.starts_with("nats://")) return Fail("--nats: expected nats://host:port");
  try {
    return Execute(flags);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}

}  // namespace bo::relaybench
