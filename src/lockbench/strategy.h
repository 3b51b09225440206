// Strategy: one way of making the experiment's purchase safe under concurrency. The purchase
// is always the same: take one unit of a ticket type whose `sold` may not pass `capacity`, and
// record it as one row in `purchases`, atomically. Each worker thread of the runner has its own
// Session (its own connections); a Session makes one purchase attempt at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace bo::lockbench {

// How one attempt ended. Purchased and sold out are answers; the rest are failures.
enum class Outcome {
  kPurchased,         // one unit taken and its purchase row written
  kSoldOut,           // no unit left; nothing written
  kError,             // any other error (connection, statement, unexpected answer)
  kDeadlock,          // PostgreSQL chose this transaction as a deadlock victim
  kLockTimeout,       // the lock was not obtained within lock_wait_ms
  kRetriesExhausted,  // optimistic: every one of retry_attempts_max attempts met a conflict
};
inline constexpr int kOutcomeCount = 6;

// The name used in reports ("purchased", "soldOut", "lockTimeouts", …).
std::string_view OutcomeName(Outcome outcome);
inline bool IsFailure(Outcome outcome) {
  return outcome != Outcome::kPurchased && outcome != Outcome::kSoldOut;
}

struct Attempt {
  Outcome outcome = Outcome::kError;
  // Extra tries this attempt made: optimistic version conflicts, or Redis lock polls that
  // found the lock taken.
  int retries = 0;
  // Why it failed, one line; empty unless IsFailure(outcome).
  std::string error;
};

// Everything a strategy needs; limits are explicit and carry their unit.
struct StrategyOptions {
  std::string store_url;  // postgres://…
  std::string redis_url;  // redis://…; only redis-lock uses it
  std::int64_t ticket_type_id = 0;
  // optimistic: attempts per purchase, the first included, before kRetriesExhausted.
  int retry_attempts_max = 10;
  // pessimistic: PostgreSQL lock_timeout; redis-lock: the longest wait for the lock.
  int lock_wait_ms = 5000;
  // redis-lock: the lock's time to live (PX), after which Redis drops it even if held.
  int lock_ttl_ms = 10000;
  // optimistic and redis-lock: the pause before retry r (from 0) is drawn uniformly from
  // [d/2, d] with d = min(backoff_max_us, backoff_initial_us * 2^r).
  int backoff_initial_us = 1000;
  int backoff_max_us = 32000;
  // batched: requests granted by one statement at most.
  int batch_size_max = 1024;
  // redis-lock: the timeout of every Redis command.
  int redis_timeout_ms = 5000;
  // A pause inside each transaction that writes a purchase, while it holds whatever the
  // strategy holds (row lock, Redis lock, open transaction), as if the purchase did other work
  // there; 0: none. pessimistic, optimistic, redis-lock: between the read and the write;
  // atomic: after its statement, before COMMIT; batched: once per batch, before COMMIT.
  int transaction_delay_ms = 0;
};

class Session {
 public:
  virtual ~Session() = default;
  // Tries once to buy one unit for this session's worker. Never throws.
  virtual Attempt Purchase() = 0;
  // False once the session cannot make another attempt (a connection was lost).
  virtual bool usable() const = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  // Opens worker `worker`'s session: its connections, with its statements prepared.
  // Thread-safe: every worker opens its own session at the same time.
  // REQUIRES: worker >= 0
  virtual Result<std::unique_ptr<Session>> OpenSession(int worker) = 0;
  // Counters that only this strategy has, as (report name, value), read after the run.
  virtual std::vector<std::pair<std::string, std::int64_t>> Counters() const { return {}; }
};

// The strategies, in the order they run by default.
std::span<const std::string_view> StrategyNames();

// Makes the strategy called `name` (one of StrategyNames()); kInvalidRequest for another name.
// The batched strategy connects here (its coalescer has a connection of its own).
Result<std::unique_ptr<Strategy>> MakeStrategy(std::string_view name,
                                               const StrategyOptions& options);

Result<std::unique_ptr<Strategy>> MakePessimistic(const StrategyOptions& options);
Result<std::unique_ptr<Strategy>> MakeOptimistic(const StrategyOptions& options);
Result<std::unique_ptr<Strategy>> MakeRedisLock(const StrategyOptions& options);
Result<std::unique_ptr<Strategy>> MakeAtomic(const StrategyOptions& options);
Result<std::unique_ptr<Strategy>> MakeBatched(const StrategyOptions& options);

}  // namespace bo::lockbench
