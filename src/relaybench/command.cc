// `boxoffice bench relay`: three phases on a fresh SQLite outbox in a temporary directory, or
// with --store on a PostgreSQL database read by the outbox relay from its logical replication
// stream (relaybench/outbox_shape.h), each through the real JetStreamPublisher into the
// nats-server given:
//   throughput  --events events are committed first, then published; events/s from the
//               publisher's start to the last acknowledgment (connecting included);
//   steady      events committed one per write job at --rate for --seconds (open loop, as
//               payments arrive), woken publisher and webhook fan-out running as in `serve`;
//               commit-to-ack lag from the publisher's histogram;
//   lone        --lone-events events --lone-interval-ms apart: the lag of an event that
//               arrives alone (no batch to ride with, no poll to wait for).
#include "relaybench/command.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "adapters/nats/jetstream_publisher.h"
#include "domain/event.h"
#include "http/metrics.h"
#include "relaybench/lag_summary.h"
#include "relaybench/outbox_shape.h"

namespace bo::relaybench {
namespace {

constexpr const char* kCommand = "bench relay";
constexpr double kLagGoalMs = 100;          // a boundary of boxoffice_nats_publish_lag_ms
constexpr int kEventsPerAppendJob = 1'000;  // the throughput phase commits in jobs this big
constexpr int kDrainTimeoutMs = 120'000;    // for the last acknowledgment after a phase
constexpr int kWaitStepMs = 1;

struct Flags {
  std::string nats;
  std::string store;  // empty: a fresh SQLite outbox
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
  Metrics shape_metrics;  // the relay's and the webhook fan-out's
  const std::unique_ptr<OutboxShape> outbox =
      flags.store.empty() ? MakeSqliteShape(shape_metrics.events)
                          : MakePostgresShape(flags.store, shape_metrics.events);
  std::printf("outbox: %s\n", outbox->name());
  nats::JetStreamPublisherOptions publisher_options = flags.publisher;
  publisher_options.url = flags.nats;
  bool all_acknowledged = true;

  {  // Throughput: a backlog published as fast as JetStream acknowledges it.
    Metrics metrics;
    outbox->Append(flags.events, kEventsPerAppendJob);
    nats::JetStreamPublisher publisher(outbox->source(), outbox->clock(), metrics.events,
                                       publisher_options);
    outbox->StartConsumers([&publisher] { publisher.Wake(); });
    const auto start = std::chrono::steady_clock::now();
    publisher.Start();
    const bool drained = WaitForCount(metrics.events.nats_published, flags.events, kDrainTimeoutMs);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    outbox->StopConsumers();
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
    nats::JetStreamPublisher publisher(outbox->source(), outbox->clock(), metrics.events,
                                       publisher_options);
    outbox->StartConsumers([&publisher] { publisher.Wake(); });
    publisher.Start();
    auto& published = metrics.events.nats_published;
    auto& lag = metrics.events.nats_publish_lag_ms;

    outbox->Append(1, 1);  // connected and the stream checked before anything is measured
    all_acknowledged = WaitForCount(published, 1, kDrainTimeoutMs) && all_acknowledged;

    const auto before_steady = lag.Collect().histogram;
    const int steady_events = flags.rate_per_second * flags.seconds;
    outbox->Drive(steady_events, flags.rate_per_second);
    const bool steady_drained = WaitForCount(published, 1.0 + steady_events, kDrainTimeoutMs);
    all_acknowledged = all_acknowledged && steady_drained;
    PrintLag(steady_drained ? "steady" : "steady (NOT ALL ACKNOWLEDGED)",
             SummarizeLag(before_steady, lag.Collect().histogram, kLagGoalMs));
    std::printf("steady: %d events/s for %d s, one event per write job\n", flags.rate_per_second,
                flags.seconds);

    const auto before_lone = lag.Collect().histogram;
    outbox->Drive(flags.lone_events, 1000.0 / flags.lone_interval_ms);
    const bool lone_drained =
        WaitForCount(published, 1.0 + steady_events + flags.lone_events, kDrainTimeoutMs);
    all_acknowledged = all_acknowledged && lone_drained;
    PrintLag(lone_drained ? "lone" : "lone (NOT ALL ACKNOWLEDGED)",
             SummarizeLag(before_lone, lag.Collect().histogram, kLagGoalMs));

    outbox->StopConsumers();
    publisher.Stop();
  }
  return all_acknowledged ? 0 : 1;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  Flags flags;
  CLI::App app{
      "Measures the outbox relay to NATS JetStream on a fresh SQLite outbox, or with --store "
      "on PostgreSQL through its logical replication stream: publish "
      "throughput of a backlog, then the commit-to-ack lag at a steady rate and of lone "
      "events. Exits 1 if some event was not acknowledged in time, 2 on bad flags.",
      std::string("boxoffice ") + kCommand};
  app.add_option("--nats", flags.nats, "NATS URL (nats://host:port) of a JetStream server")
      ->envname("BOXOFFICE_NATS")
      ->required();
  app.add_option("--store", flags.store,
                 "postgres://user@host:port/db (wal_level = logical): the scale-out shape, read "
                 "from the logical replication stream by the outbox relay; default: a fresh "
                 "SQLite outbox")
      ->capture_default_str();
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
  if (!flags.store.empty() && !flags.store.starts_with("postgres://")) {
    return Fail("--store: expected postgres://user@host:port/db");
  }
  try {
    return Execute(flags);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}

}  // namespace bo::relaybench
