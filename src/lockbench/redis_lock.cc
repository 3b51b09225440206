// redis-lock: a lock per ticket type in Redis around a read-check-write in PostgreSQL, the way
// a Redisson lock is used.
//   SET lock token NX PX lock_ttl_ms  (polled with jittered backoff for up to lock_wait_ms)
//   BEGIN; SELECT capacity, sold; UPDATE … SET sold = <read value + 1>; INSERT; COMMIT
//   EVALSHA compare-and-delete(lock, token)
// The database statements take no lock of their own and write the counter the application
// computed, so the Redis lock alone keeps purchases apart: if it lapses (a holder outlives
// lock_ttl_ms), two holders can write the same value and the counter falls behind the rows.
// A release that finds the lock no longer ours is counted as `locksLost`.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "lockbench/backoff.h"
#include "lockbench/pg_session.h"
#include "lockbench/redis.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr StatementSql kReadRow = {
    "read_row", "SELECT capacity, sold FROM lockbench.ticket_types WHERE id = $1"};
constexpr StatementSql kWriteSold = {"write_sold",
                                     "UPDATE lockbench.ticket_types SET sold = $2 WHERE id = $1"};
constexpr std::array<StatementSql, 3> kStatements = {kReadRow, kWriteSold, kRecordPurchase};

struct LockCounters {
  std::atomic<std::int64_t> locks_lost{0};
  std::atomic<std::int64_t> release_errors{0};
};

// 128 random bits in hex: the token that tells this holder's lock from any other.
std::string NewToken(std::mt19937_64& rng) {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return text;
}

class RedisLockSession : public Session {
 public:
  RedisLockSession(std::unique_ptr<pg::Connection> conn, std::unique_ptr<redis::Connection> redis,
                   const StrategyOptions& options, std::string lock_key, int worker,
                   LockCounters* counters)
      : conn_(std::move(conn)),
        redis_(std::move(redis)),
        id_(std::to_string(options.ticket_type_id)),
        worker_(std::to_string(worker)),
        lock_key_(std::move(lock_key)),
        lock_wait_(std::chrono::milliseconds(options.lock_wait_ms)),
        lock_ttl_ms_(options.lock_ttl_ms),
        transaction_delay_ms_(options.transaction_delay_ms),
        backoff_{options.backoff_initial_us, options.backoff_max_us},
        rng_(std::random_device{}()),
        counters_(counters) {}

  Attempt Purchase() override {
    const std::string token = NewToken(rng_);
    int retries = 0;
    const Clock::time_point deadline = Clock::now() + lock_wait_;
    for (;;) {
      auto acquired = redis_->SetIfAbsent(lock_key_, token, lock_ttl_ms_);
      if (!acquired) return ErrorAttempt("SET NX: " + acquired.error().detail, retries);
      if (*acquired) break;
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        return Attempt{Outcome::kLockTimeout, retries,
                       "lock not acquired within " + std::to_string(lock_wait_.count()) + " ms"};
      }
      const auto pause =
          std::min<Clock::duration>(BackoffDelay(backoff_, retries, rng_), deadline - now);
      std::this_thread::sleep_for(pause);
      ++retries;
    }
    Attempt attempt = Locked(retries);
    Release(token);
    return attempt;
  }

  bool usable() const override { return !conn_->broken() && !redis_->broken(); }

 private:
  // The purchase proper, while holding the lock.
  Attempt Locked(int retries) {
    pg::Reply begun = conn_->Exec("BEGIN");
    if (!begun.ok()) return FailedAttempt(begun, "BEGIN", retries);
    pg::Reply row = conn_->Run(kReadRow.name, {id_});
    if (!row.ok()) return Abort(row, "SELECT", retries);
    if (row.rows() != 1) {
      RollbackQuietly(*conn_);
      return ErrorAttempt("ticket type " + id_ + " not found", retries);
    }
    const std::int64_t capacity = row.Int64(0, 0);
    const std::int64_t sold = row.Int64(0, 1);
    if (sold >= capacity) {
      RollbackQuietly(*conn_);
      return Attempt{Outcome::kSoldOut, retries, ""};
    }
    TransactionDelay(transaction_delay_ms_);
    pg::Reply written = conn_->Run(kWriteSold.name, {id_, std::to_string(sold + 1)});
    if (!written.ok()) return Abort(written, "UPDATE", retries);
    pg::Reply recorded = conn_->Run(kRecordPurchase.name, {id_, worker_});
    if (!recorded.ok()) return Abort(recorded, "INSERT", retries);
    pg::Reply committed = conn_->Exec("COMMIT");
    if (!committed.ok()) return Abort(committed, "COMMIT", retries);
    return Attempt{Outcome::kPurchased, retries, ""};
  }

  void Release(const std::string& token) {
    auto deleted = redis_->DeleteIfEquals(lock_key_, token);
    if (!deleted) {
      counters_->release_errors.fetch_add(1, std::memory_order_relaxed);
    } else if (!*deleted) {
      counters_->locks_lost.fetch_add(1, std::memory_order_relaxed);
    }
  }

  Attempt Abort(const pg::Reply& reply, const char* what, int retries) {
    RollbackQuietly(*conn_);
    return FailedAttempt(reply, what, retries);
  }

  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<redis::Connection> redis_;
  std::string id_;
  std::string worker_;
  std::string lock_key_;
  std::chrono::milliseconds lock_wait_;
  int lock_ttl_ms_;
  int transaction_delay_ms_;
  BackoffPolicy backoff_;
  std::mt19937_64 rng_;
  LockCounters* counters_;
};

class RedisLock : public Strategy {
 public:
  // The lock's key names this run too, so that a lock left by an earlier run that was killed
  // while holding it cannot stall this one.
  explicit RedisLock(const StrategyOptions& options)
      : options_(options),
        lock_key_("lockbench:run:" + RunNonce() +
                  ":ticket_type:" + std::to_string(options.ticket_type_id) + ":lock") {}

  std::string_view name() const override { return "redis-lock"; }

  Result<std::unique_ptr<Session>> OpenSession(int worker) override {
    auto conn = OpenPrepared(options_.store_url, kStatements);
    if (!conn) return conn.error();
    auto redis = redis::Connection::Open(options_.redis_url, options_.redis_timeout_ms);
    if (!redis) return redis.error();
    return std::unique_ptr<Session>(new RedisLockSession(std::move(conn).value(),
                                                         std::move(redis).value(), options_,
                                                         lock_key_, worker, &counters_));
  }

  std::vector<std::pair<std::string, std::int64_t>> Counters() const override {
    return {{"locksLost", counters_.locks_lost.load()},
            {"releaseErrors", counters_.release_errors.load()}};
  }

 private:
  static std::string RunNonce() {
    std::mt19937_64 rng(std::random_device{}());
    return NewToken(rng).substr(0, 16);
  }

  StrategyOptions options_;
  std::string lock_key_;
  LockCounters counters_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> MakeRedisLock(const StrategyOptions& options) {
  if (options.redis_url.empty()) {
    return MakeError(ErrorCode::kInvalidRequest, "redis-lock needs --redis redis://host:port");
  }
  return std::unique_ptr<Strategy>(new RedisLock(options));
}

}  // namespace bo::lockbench
