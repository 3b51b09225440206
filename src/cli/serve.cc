#include <signal.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/inprocess/waiting_room.h"
#include "adapters/redis/waiting_room.h"
#include "app/idempotency.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/demo.h"
#include "cli/queue_ticker.h"
#include "common/worker_pool.h"
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
  Sweeper(Store& store, Services& svc, Metrics& metrics)
      : store_(store), svc_(svc), metrics_(metrics), thread_([this] { Run(); }) {}
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
    }
  }

  Store& store_;
  Services& svc_;
  Metrics& metrics_;
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
  if (!flags.nats.empty()) {
    spdlog::error("--nats is not supported by this build; the event bus runs in process");
    return 2;
  }
  std::string host;
  unsigned short port = 0;
  if (!SplitListen(flags.listen, &host, &port)) {
    spdlog::error("--listen {}: expected host:port", flags.listen);
    return 2;
  }

  // Signals go to the watcher thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    const StoreFlags store_flags{flags.store, flags.data_dir, flags.batch_size_max,
                                 flags.db_writer_lanes, flags.db_pool_size};
    const std::string store_name = DescribeStore(store_flags);
    const std::string jwt_secret =
        ResolveJwtSecret(flags.jwt_secret, flags.data_dir, /*create=*/true);
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
    Api api(store, services, jwt, password_pool, metrics, *waiting_room, api_options);

    HttpServerOptions options;
    options.host = host;
    options.port = port;
    options.threads = flags.threads > 0
                          ? flags.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    HttpServer server(options, [&api](HttpRequest&& r, Respond respond) {
      api.Handle(std::move(r), std::move(respond));
    });
    auto sweeper = std::make_unique<Sweeper>(store, services, metrics);
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
        "boxoffice listening on http://{}:{} (store: {}, waiting room: {}, hold {}s, {} "
        "threads)",
        host, server.port(), store_name, flags.redis.empty() ? "in process" : flags.redis,
        flags.hold_seconds, options.threads);
    server.Run();
    watcher.join();
    // The streams are the server's; stop writing to them before it goes.
    ticker.reset();
    api.queue_events().CloseAll();
    // Work still queued behind the drain calls back into the Api and posts to the server's
    // (stopped) I/O contexts, so it is finished here, while those are still alive: first
    // the sweeper, then the password pool (whose tasks submit writes), then the writer.
    sweeper.reset();
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
