#include <signal.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "adapters/inprocess/waiting_room.h"
#include "adapters/nats/jetstream_publisher.h"
#include "adapters/postgres/event_delivery.h"
#include "adapters/postgres_relay/outbox_relay.h"
#include "adapters/redis/waiting_room.h"
#include "adapters/sqlite/event_delivery.h"
#include "app/idempotency.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/demo.h"
#include "cli/queue_ticker.h"
#include "common/worker_pool.h"
#include "events/outbox_pruning.h"
#include "events/outbox_table_source.h"
#include "events/outbox_wakeups.h"
#include "events/webhook_dispatcher.h"
#include "http/api.h"
#include "http/server.h"
#include "ports/random.h"

namespace bo {
namespace {

constexpr int kSweepIntervalMs = 1000;
constexpr int kPruneEverySweeps = 60;
constexpr int kDrainSecondsMax = 10;
constexpr int kPasswordThreads = 2;
constexpr size_t kPasswordQueueTasksMax = 1024;

// Expires due holds once a second and forgets old idempotency keys once a minute, until
// stopped.
class Sweeper {
 public:
  // `each_sweep` (may be empty) runs at the end of every sweep.
  Sweeper(Store& store, Services& svc, Metrics& metrics, std::function<void()> each_sweep)
      : store_(store),
        svc_(svc),
        metrics_(metrics),
        each_sweep_(std::move(each_sweep)),
        thread_([this] { Run(); }) {}
  ~Sweeper() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    for (int sweep = 1;; ++sweep) {
      {
        std::unique_lock lock(mu_);
        if (cv_.wait_for(lock, std::chrono::milliseconds(kSweepIntervalMs),
                         [this] { return stopping_; })) {
          return;
        }
      }
      auto expired =
          RunUseCase<int>(store_, [this](WriteTx& tx) { return ExpireHolds(tx, svc_, ""); });
      if (expired.ok() && *expired > 0) {
        metrics_.expiries.Increment(*expired);
        spdlog::info("expired {} holds", *expired);
      }
      if (sweep % kPruneEverySweeps == 0) {
        (void)RunUseCase<int>(store_,
                              [this](WriteTx& tx) { return PruneIdempotencyKeys(tx, svc_); });
      }
      if (each_sweep_) each_sweep_();
    }
  }

  Store& store_;
  Services& svc_;
  Metrics& metrics_;
  std::function<void()> each_sweep_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

bool SplitListen(const std::string& listen, std::string* host, unsigned short* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[') *host = host->substr(1, host->size() - 2);
  try {
    const int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<unsigned short>(p);
  } catch (const std::exception&) {
    return false;
  }
  return !host->empty();
}

// Operational logs go to stderr; access log lines to stdout, written by a background thread.
void SetUpLogging(bool access_log) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("boxoffice"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  if (access_log) {
    spdlog::init_thread_pool(65536, 1);
    auto access = spdlog::create_async_nb<spdlog::sinks::stdout_sink_mt>("access");
    access->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ access %v", spdlog::pattern_time_type::utc);
  }
}

}  // namespace

int Serve(const ServeFlags& flags) {
  SetUpLogging(flags.access_log);
  if (!flags.nats.empty() && !flags.nats.starts_with("nats://")) {
    spdlog::error("--nats {}: expected nats://host:port", flags.nats);
    return 2;
  }
  std::string host;
  unsigned short port = 0;
  if (!SplitListen(flags.listen, &host, &port)) {
    spdlog::error("--listen {}: expected host:port", flags.listen);
    return 2;
  }
  auto proxies = TrustedProxies::Parse(flags.trusted_proxies);
  if (!proxies.ok()) {
    spdlog::error("--trusted-proxies: {}", proxies.error().detail);
    return 2;
  }

  // Signals go to the watcher thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    const std::string jwt_secret =
        ResolveJwtSecret(flags.jwt_secret, flags.data_dir, /*create=*/true);
    OutboxWakeups outbox_wakeups;  // the store tells the outbox's consumers of new events
    StoreFlags store_flags{flags.store,           flags.data_dir,     flags.batch_size_max,
                           flags.db_writer_lanes, flags.db_pool_size, &outbox_wakeups};
    const std::string store_name = DescribeStore(store_flags);
    const std::unique_ptr<Store> store_owner = OpenStore(store_flags);
    Store& store = *store_owner;
    SystemClock clock;
    TimeOrderedIdGenerator ids(clock);
    const TicketCodeSigner ticket_codes(TicketCodeKey(jwt_secret));
    Services services{clock, ids, HoldPolicy{flags.hold_seconds}, ticket_codes};
    if (flags.demo && LoadDemoCatalog(store, services)) spdlog::info("loaded the demo catalog");

    const JwtCodec jwt(jwt_secret);
    WorkerPool password_pool(kPasswordThreads, kPasswordQueueTasksMax);
    Metrics metrics;
    SystemRandom random;
    std::unique_ptr<WaitingRoom> waiting_room;
    if (flags.redis.empty()) {
      waiting_room = std::make_unique<inprocess::InProcessWaitingRoom>(random);
    } else {
      auto redis = redis::RedisWaitingRoom::Open(flags.redis, random);
      if (!redis.ok()) {
        spdlog::error("--redis {}: {}", flags.redis, redis.error().detail);
        return redis.error().code == ErrorCode::kInvalidRequest ? 2 : 1;
      }
      waiting_room = std::move(*redis);
    }
    ApiOptions api_options;
    api_options.access_log = flags.access_log;
    api_options.queue_joins_per_user =
        BucketLimits{flags.queue_joins_per_user_per_minute, flags.queue_joins_per_user_per_minute};
    api_options.queue_joins_per_address = BucketLimits{flags.queue_joins_per_address_per_minute,
                                                       flags.queue_joins_per_address_per_minute};
    api_options.rate_limit_keys_max = static_cast<size_t>(flags.rate_limit_keys_max);
    // The embedded store delivers from its outbox table; PostgreSQL from the logical
    // replication stream of its outbox, read by the one active relay among the instances.
    std::unique_ptr<sqlite::SqliteEventDelivery> event_delivery;
    std::unique_ptr<postgres::PgWebhookDeliveries> pg_webhooks;
    std::unique_ptr<WebhookDispatcher> webhooks;
    OutboxPruningOptions pruning;
    // The publisher reads on a connection of its own, so it never waits for a fan-out.
    std::unique_ptr<sqlite::SqliteEventDelivery> nats_delivery;
    std::unique_ptr<OutboxTableSource> nats_source;
    std::unique_ptr<postgres_relay::OutboxRelay> relay;
    std::unique_ptr<nats::JetStreamPublisher> nats_publisher;
    nats::JetStreamPublisherOptions nats_options;
    nats_options.url = flags.nats;
    if (!IsPostgresUrl(flags.store)) {
      const std::string db_path = ResolveSqlitePath(flags.store, flags.data_dir);
      event_delivery = std::make_unique<sqlite::SqliteEventDelivery>(db_path);
      api_options.event_delivery = event_delivery.get();
      pruning.consumers = {kConsumerWebhooks};
      webhooks =
          std::make_unique<WebhookDispatcher>(*event_delivery, event_delivery.get(), clock, random,
                                              metrics.events, WebhookDispatcherOptions{});
      outbox_wakeups.Subscribe([w = webhooks.get()] { w->Wake(); });
      if (!flags.nats.empty()) {
        nats_delivery = std::make_unique<sqlite::SqliteEventDelivery>(db_path);
        nats_source = std::make_unique<OutboxTableSource>(*nats_delivery, kConsumerNats);
        pruning.consumers.push_back(kConsumerNats);
        nats_publisher = std::make_unique<nats::JetStreamPublisher>(*nats_source, clock,
                                                                    metrics.events, nats_options);
        outbox_wakeups.Subscribe([publisher = nats_publisher.get()] { publisher->Wake(); });
      }
    } else if (const std::string wal_level = postgres_relay::OutboxRelay::WalLevel(flags.store);
               wal_level != "logical") {
      const std::string why =
          "event delivery on PostgreSQL reads its logical replication stream, which needs "
          "wal_level = logical (it is '" +
          wal_level + "'): set wal_level = logical in postgresql.conf and restart PostgreSQL";
      if (!flags.nats.empty()) {
        spdlog::error("--nats: {}", why);
        return 2;
      }
      spdlog::warn(
          "{}; until then events are kept in the outbox table and the webhook routes "
          "answer 503",
          why);
      api_options.webhooks_unavailable = why;
    } else {
      pg_webhooks = std::make_unique<postgres::PgWebhookDeliveries>(
          postgres::PgWebhookDeliveriesOptions{flags.store});
      api_options.event_delivery = pg_webhooks.get();
      webhooks = std::make_unique<WebhookDispatcher>(*pg_webhooks, nullptr, clock, random,
                                                     metrics.events, WebhookDispatcherOptions{});
      postgres_relay::OutboxRelayOptions relay_options;
      relay_options.url = flags.store;
      relay_options.publishing = !flags.nats.empty();
      // Started after the publisher exists; stopped before it goes (StopEvents below).
      relay = std::make_unique<postgres_relay::OutboxRelay>(
          relay_options, clock, metrics.events,
          [&nats_publisher] {
            if (nats_publisher) nats_publisher->Wake();
          },
          [w = webhooks.get()] { w->Wake(); });
      if (!flags.nats.empty()) {
        nats_publisher = std::make_unique<nats::JetStreamPublisher>(relay->source(), clock,
                                                                    metrics.events, nats_options);
      }
    }
    // Declared after the consumers, so run before they go, even when something throws: the
    // relay wakes the publisher and dispatcher, and the publisher reads the relay's buffer.
    const struct StopEvents {
      OutboxWakeups& wakeups;
      std::unique_ptr<postgres_relay::OutboxRelay>& relay;
      std::unique_ptr<nats::JetStreamPublisher>& publisher;
      std::unique_ptr<WebhookDispatcher>& webhooks;
      ~StopEvents() {
        wakeups.Clear();
        if (relay) relay->Stop();
        if (publisher) publisher->Stop();
        if (webhooks) webhooks->Stop();
      }
    } stop_events{outbox_wakeups, relay, nats_publisher, webhooks};
    Api api(store, services, jwt, password_pool, metrics, *waiting_room, api_options);

    HttpServerOptions options;
    options.host = host;
    options.port = port;
    options.trusted_proxies = std::move(*proxies);
    options.threads = flags.threads > 0
                          ? flags.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    HttpServer server(options, [&api](HttpRequest&& r, Respond respond) {
      api.Handle(std::move(r), std::move(respond));
    });
    if (webhooks) webhooks->Start();
    if (nats_publisher) nats_publisher->Start();
    if (relay) relay->Start();
    auto sweeper = std::make_unique<Sweeper>(store, services, metrics, [&] {
      try {
        if (event_delivery) PruneOutbox(*event_delivery, pruning, clock.NowMs(), metrics.events);
        if (pg_webhooks) PrunePgEvents(*pg_webhooks, pruning, clock.NowMs(), metrics.events);
      } catch (const std::exception& e) {
        spdlog::warn("outbox pruning: {}", e.what());
      }
    });
    auto ticker = std::make_unique<QueueTicker>(
        *waiting_room, clock, metrics,
        [&api](UnixMs now_ms) { api.queue_events().Publish(now_ms); });

    std::thread watcher([&server, signals] {
      int signal_number = 0;
      sigwait(&signals, &signal_number);
      spdlog::info("signal {}: draining requests in progress", signal_number);
      server.Stop(kDrainSecondsMax);
    });
    spdlog::info(
        "boxoffice listening on http://{}:{} (store: {}, waiting room: {}, events: {}{}{}, hold "
        "{}s, {} threads)",
        host, server.port(), store_name, flags.redis.empty() ? "in process" : flags.redis,
        webhooks ? (relay ? "webhooks from the replication stream" : "webhooks")
                 : "kept in the outbox",
        flags.nats.empty() ? "" : " and NATS ", flags.nats, flags.hold_seconds, options.threads);
    server.Run();
    watcher.join();
    // The streams are the server's; stop writing to them before it goes.
    ticker.reset();
    api.queue_events().CloseAll();
    // Work still queued behind the drain calls back into the Api and posts to the server's
    // (stopped) I/O contexts, so it is finished here, while those are still alive: first
    // the sweeper, then the password pool (whose tasks submit writes), then the writer.
    sweeper.reset();
    if (relay) relay->Stop();
    if (nats_publisher) nats_publisher->Stop();
    if (webhooks) webhooks->Stop();
    password_pool.Shutdown();
    store.Close();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    spdlog::error("serve: {}", e.what());
    return 1;
  }
  spdlog::shutdown();
  return 0;
}

}  // namespace bo
