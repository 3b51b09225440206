// `boxoffice bench lock-strategies`: the same purchase under each strategy, one after the
// other, against the PostgreSQL (and Redis) it is given; then the consistency check of each.
#include "lockbench/command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "adapters/postgres/connection.h"
#include "lockbench/consistency.h"
#include "lockbench/redis.h"
#include "lockbench/report.h"
#include "lockbench/runner.h"
#include "lockbench/schema.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {
namespace {

constexpr const char* kCommand = "bench lock-strategies";

// Large enough that no strategy sells out in a run of minutes on one machine, so the runs
// compare throughput; a small --capacity exercises the sell-out instead.
constexpr std::int64_t kCapacityDefault = 100'000'000;
constexpr std::int64_t kCapacityMax = 1'000'000'000'000;
constexpr double kDurationSecondsMax = 3600;

struct Flags {
  std::string store;
  std::string redis;
  double duration_seconds = 10;
  int workers = 64;
  std::int64_t capacity = kCapacityDefault;
  std::vector<std::string> strategies;
  bool json = false;
  StrategyOptions strategy;  // the limits; URLs and ticket type are filled in later
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kCommand, message.c_str());
  return 2;
}

bool NeedsRedis(const std::vector<std::string>& strategies) {
  return std::find(strategies.begin(), strategies.end(), "redis-lock") != strategies.end();
}

// Runs one strategy on a fresh ticket type and judges what it left.
Result<StrategyReport> RunStrategy(pg::Connection& control, const std::string& name,
                                   std::int64_t ticket_type_id, const Flags& flags) {
  Status added = AddTicketType(control, ticket_type_id, name, flags.capacity);
  if (!added) return added.error();
  StrategyOptions options = flags.strategy;
  options.store_url = flags.store;
  options.redis_url = flags.redis;
  options.ticket_type_id = ticket_type_id;
  auto strategy = MakeStrategy(name, options);
  if (!strategy) return strategy.error();
  auto run = Run(**strategy, RunOptions{flags.workers, flags.duration_seconds});
  strategy->reset();  // every attempt has ended; the batched coalescer stops here
  if (!run) return run.error();
  auto stored = ReadStoredCounts(control, ticket_type_id);
  if (!stored) return stored.error();
  const AnsweredCounts answered{run->count(Outcome::kPurchased), run->count(Outcome::kSoldOut)};
  Verdict verdict = Judge(*stored, answered);
  return StrategyReport{std::move(run).value(), *stored, std::move(verdict)};
}

int Execute(const Flags& flags) {
  if (NeedsRedis(flags.strategies)) {
    if (flags.redis.empty()) return Fail("redis-lock needs --redis redis://host:port");
    auto probe = redis::Connection::Open(flags.redis, flags.strategy.redis_timeout_ms);
    if (!probe) return Fail(probe.error().detail);
  }
  auto control = pg::Connection::Open(flags.store);
  if (!control) return Fail(control.error().detail);
  pg::Connection& conn = **control;
  if (Status locked = LockExperiment(conn); !locked) return Fail(locked.error().detail);
  auto server = ReadServerSettings(conn);
  if (!server) return Fail(server.error().detail);
  if (Status reset = ResetSchema(conn); !reset) return Fail(reset.error().detail);

  std::vector<StrategyReport> reports;
  std::int64_t ticket_type_id = 0;
  for (const std::string& name : flags.strategies) {
    if (!flags.json)
      std::fprintf(stderr, "running %s for %.1f s…\n", name.c_str(), flags.duration_seconds);
    auto report = RunStrategy(conn, name, ++ticket_type_id, flags);
    if (!report) return Fail(report.error().detail);
    reports.push_back(std::move(report).value());
  }

  ReportSettings settings;
  settings.workers = flags.workers;
  settings.duration_seconds = flags.duration_seconds;
  settings.capacity = flags.capacity;
  settings.retry_attempts_max = flags.strategy.retry_attempts_max;
  settings.lock_wait_ms = flags.strategy.lock_wait_ms;
  settings.lock_ttl_ms = flags.strategy.lock_ttl_ms;
  settings.backoff_initial_us = flags.strategy.backoff_initial_us;
  settings.backoff_max_us = flags.strategy.backoff_max_us;
  settings.batch_size_max = flags.strategy.batch_size_max;
  settings.transaction_delay_ms = flags.strategy.transaction_delay_ms;
  settings.server = *server;
  if (flags.json) {
    std::printf("%s\n", FormatJson(settings, reports).c_str());
  } else {
    std::fputs(FormatTable(settings, reports).c_str(), stdout);
  }
  std::fflush(stdout);
  return AllConsistent(reports) ? 0 : 1;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  Flags flags;
  CLI::App app{
      "Runs the same purchase (take one unit of a ticket type, record a purchase row) from many "
      "concurrent workers against PostgreSQL under each lock strategy, then checks that each "
      "sold exactly min(capacity, answered attempts). Exits 1 if a strategy was inconsistent, "
      "2 on bad flags or an unreachable server.",
      std::string("boxoffice ") + kCommand};
  app.add_option("--store", flags.store, "PostgreSQL URL (postgres://user@host:port/db)")
      ->envname("BOXOFFICE_STORE")
      ->required();
  app.add_option("--redis", flags.redis, "Redis URL (redis://host:port), for redis-lock")
      ->envname("BOXOFFICE_REDIS");
  app.add_option("--duration", flags.duration_seconds, "Seconds each strategy runs")
      ->envname("BOXOFFICE_DURATION")
      ->check(CLI::Range(0.001, kDurationSecondsMax))
      ->capture_default_str();
  app.add_option("--workers", flags.workers,
                 "Concurrent workers, each with its own PostgreSQL connection")
      ->envname("BOXOFFICE_WORKERS")
      ->check(CLI::Range(1, kWorkersMax))
      ->capture_default_str();
  app.add_option("--capacity", flags.capacity,
                 "Units of the ticket type each strategy sells from (small: exercise sell-out)")
      ->envname("BOXOFFICE_CAPACITY")
      ->check(CLI::Range(std::int64_t{0}, kCapacityMax))
      ->capture_default_str();
  app.add_option("--strategies", flags.strategies,
                 "Comma-separated: pessimistic,optimistic,redis-lock,atomic,batched (default: all)")
      ->envname("BOXOFFICE_STRATEGIES")
      ->delimiter(',');
  app.add_flag("--json", flags.json, "Print one JSON object instead of a table")
      ->envname("BOXOFFICE_JSON");
  app.add_option("--retry-attempts-max", flags.strategy.retry_attempts_max,
                 "optimistic: attempts per purchase before giving up")
      ->envname("BOXOFFICE_RETRY_ATTEMPTS_MAX")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--lock-wait-ms", flags.strategy.lock_wait_ms,
                 "pessimistic: lock_timeout; redis-lock: longest wait for the lock")
      ->envname("BOXOFFICE_LOCK_WAIT_MS")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  app.add_option("--lock-ttl-ms", flags.strategy.lock_ttl_ms, "redis-lock: the lock's PX")
      ->envname("BOXOFFICE_LOCK_TTL_MS")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  app.add_option("--backoff-initial-us", flags.strategy.backoff_initial_us,
                 "optimistic, redis-lock: cap of the first retry pause")
      ->envname("BOXOFFICE_BACKOFF_INITIAL_US")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--backoff-max-us", flags.strategy.backoff_max_us,
                 "optimistic, redis-lock: cap of every retry pause")
      ->envname("BOXOFFICE_BACKOFF_MAX_US")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--transaction-delay-ms", flags.strategy.transaction_delay_ms,
                 "A pause inside each transaction that writes, holding what the strategy holds "
                 "(0: none)")
      ->envname("BOXOFFICE_TRANSACTION_DELAY_MS")
      ->check(CLI::Range(0, 600'000))
      ->capture_default_str();
  app.add_option("--batch-size-max", flags.strategy.batch_size_max,
                 "batched: requests granted by one statement at most")
      ->envname("BOXOFFICE_BATCH_SIZE_MAX")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help, or what is wrong
    return code == 0 ? 0 : 2;
  }

  if (flags.strategies.empty()) {
    for (const std::string_view name : StrategyNames()) flags.strategies.emplace_back(name);
  }
  for (const std::string& name : flags.strategies) {
    const auto names = StrategyNames();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Fail("unknown strategy '" + name +
                  "'; choose from pessimistic, optimistic, redis-lock, atomic, batched");
    }
  }
  if (flags.strategy.backoff_initial_us > flags.strategy.backoff_max_us) {
    return Fail("--backoff-initial-us must not exceed --backoff-max-us");
  }
  return Execute(flags);
}

}  // namespace bo::lockbench
