// batched: boxoffice's own way. Workers hand their purchase to a coalescer, which has one
// connection and one thread; it takes every pending request (up to batch_size_max) and grants
// min(pending, capacity - sold) of them with one conditional statement that also inserts their
// purchase rows, then answers each request: the first `granted` purchased, the rest sold out.
// The coalescer never waits for a batch to fill: a lone request goes out at once, and batches
// grow only while a statement is in flight. With a transaction delay the statement runs inside
// BEGIN … COMMIT with the pause before COMMIT, once per batch, and answers follow the COMMIT.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/assert.h"
#include "lockbench/pg_session.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {
namespace {

// $1 ticket type id, $2 the workers of the pending requests (int[], in request order).
// Answers (granted, purchase rows inserted).
constexpr StatementSql kGrant = {
    "grant",
    "WITH locked AS ("
    "  SELECT id, LEAST(cardinality($2::int[]), capacity - sold) AS granted"
    "  FROM lockbench.ticket_types WHERE id = $1::bigint FOR UPDATE), "
    "taken AS ("
    "  UPDATE lockbench.ticket_types AS t SET sold = t.sold + locked.granted FROM locked"
    "  WHERE t.id = locked.id AND locked.granted > 0 AND t.sold + locked.granted <= t.capacity"
    "  RETURNING locked.granted), "
    "recorded AS ("
    "  INSERT INTO lockbench.purchases (ticket_type_id, worker)"
    "  SELECT $1::bigint, w.worker FROM unnest($2::int[]) WITH ORDINALITY AS w(worker, position)"
    "  WHERE w.position <= (SELECT granted FROM taken)"
    "  RETURNING 1) "
    "SELECT COALESCE((SELECT granted FROM taken), 0), (SELECT count(*) FROM recorded)"};
constexpr std::array<StatementSql, 1> kStatements = {kGrant};

// The coalescer: a thread with a connection that answers queued purchase requests in batches.
class Coalescer {
 public:
  // REQUIRES: options.batch_size_max > 0
  Coalescer(std::unique_ptr<pg::Connection> conn, const StrategyOptions& options)
      : conn_(std::move(conn)),
        id_(std::to_string(options.ticket_type_id)),
        batch_size_max_(options.batch_size_max),
        transaction_delay_ms_(options.transaction_delay_ms),
        thread_([this] { Loop(); }) {
    BO_ASSERT(options.batch_size_max > 0);
  }

  // Answers the requests still queued, then stops.
  ~Coalescer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // Queues a purchase for `worker` and waits for its answer.
  Attempt Purchase(int worker) {
    Request request;
    request.worker = worker;
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return ErrorAttempt("coalescer stopped", 0);
    pending_.push_back(&request);
    if (pending_.size() == 1) wake_.notify_one();
    request.answered.wait(lock, [&] { return request.done; });
    return std::move(request.attempt);
  }

  bool broken() const { return broken_.load(std::memory_order_relaxed); }
  std::int64_t batches() const { return batches_.load(); }
  std::int64_t largest_batch() const { return largest_batch_.load(); }

 private:
  struct Request {
    int worker = 0;
    bool done = false;  // guarded by mu_
    Attempt attempt;
    std::condition_variable answered;
  };

  // What one batch got: how many of its requests (the first ones) were granted, or the failure
  // every request of it gets.
  struct Grant {
    std::int64_t granted = 0;
    std::optional<Attempt> failure;
  };

  void Loop() {
    std::vector<Request*> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) return;  // stopping, nothing left to answer
        const size_t n = std::min(pending_.size(), static_cast<size_t>(batch_size_max_));
        batch.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      Answer(batch, RunGrant(batch));
      if (conn_->broken()) broken_.store(true, std::memory_order_relaxed);
      batches_.fetch_add(1);
      if (static_cast<std::int64_t>(batch.size()) > largest_batch_.load()) {
        largest_batch_.store(static_cast<std::int64_t>(batch.size()));
      }
    }
  }

  // The workers of `batch` as a PostgreSQL array value, e.g. {3,17,5}: a parameter, not SQL.
  static std::string WorkersArray(const std::vector<Request*>& batch) {
    std::string text(1, '{');
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i > 0) text.push_back(',');
      text.append(std::to_string(batch[i]->worker));
    }
    text.push_back('}');
    return text;
  }

  // Runs the grant statement for `batch`; with a transaction delay, inside a transaction that
  // pauses before its COMMIT when it granted anything.
  Grant RunGrant(const std::vector<Request*>& batch) {
    const bool delayed = transaction_delay_ms_ > 0;
    if (delayed) {
      pg::Reply begun = conn_->Exec("BEGIN");
      if (!begun.ok()) return Grant{0, FailedAttempt(begun, "BEGIN", 0)};
    }
    Grant grant = ReadGrant(conn_->Run(kGrant.name, {id_, WorkersArray(batch)}), batch.size());
    if (!delayed) return grant;
    if (grant.failure) {
      RollbackQuietly(*conn_);
      return grant;
    }
    if (grant.granted > 0) TransactionDelay(transaction_delay_ms_);
    pg::Reply committed = conn_->Exec("COMMIT");
    if (!committed.ok()) {
      RollbackQuietly(*conn_);
      return Grant{0, FailedAttempt(committed, "COMMIT", 0)};
    }
    return grant;
  }

  // What the grant statement's `reply` means for a batch of `batch_size` requests.
  static Grant ReadGrant(const pg::Reply& reply, size_t batch_size) {
    if (!reply.ok()) return Grant{0, FailedAttempt(reply, "batched UPDATE … INSERT", 0)};
    if (reply.rows() != 1 || reply.Int64(0, 0) != reply.Int64(0, 1) || reply.Int64(0, 0) < 0 ||
        reply.Int64(0, 0) > static_cast<std::int64_t>(batch_size)) {
      // The statement's two counts disagree: answer no request as purchased.
      return Grant{0, ErrorAttempt("batched statement answered an impossible grant", 0)};
    }
    return Grant{reply.Int64(0, 0), std::nullopt};
  }

  // Gives each request of `batch` its answer: the first `grant.granted` purchased, the rest
  // sold out, or all of them the failure.
  void Answer(const std::vector<Request*>& batch, const Grant& grant) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < batch.size(); ++i) {
      Request& request = *batch[i];
      if (grant.failure) {
        request.attempt = *grant.failure;
      } else {
        request.attempt.outcome =
            static_cast<std::int64_t>(i) < grant.granted ? Outcome::kPurchased : Outcome::kSoldOut;
      }
      request.done = true;
      request.answered.notify_one();
    }
  }

  std::unique_ptr<pg::Connection> conn_;  // used by the coalescer thread only
  const std::string id_;
  const int batch_size_max_;
  const int transaction_delay_ms_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Request*> pending_;  // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  std::atomic<bool> broken_{false};
  std::atomic<std::int64_t> batches_{0};
  std::atomic<std::int64_t> largest_batch_{0};
  std::thread thread_;  // last: starts once every other member is ready
};

class BatchedSession : public Session {
 public:
  BatchedSession(Coalescer* coalescer, int worker) : coalescer_(coalescer), worker_(worker) {}

  Attempt Purchase() override { return coalescer_->Purchase(worker_); }
  bool usable() const override { return !coalescer_->broken(); }

 private:
  Coalescer* coalescer_;
  int worker_;
};

class Batched : public Strategy {
 public:
  explicit Batched(std::unique_ptr<Coalescer> coalescer) : coalescer_(std::move(coalescer)) {}

  std::string_view name() const override { return "batched"; }

  Result<std::unique_ptr<Session>> OpenSession(int worker) override {
    return std::unique_ptr<Session>(new BatchedSession(coalescer_.get(), worker));
  }

  std::vector<std::pair<std::string, std::int64_t>> Counters() const override {
    return {{"batches", coalescer_->batches()}, {"largestBatch", coalescer_->largest_batch()}};
  }

 private:
  std::unique_ptr<Coalescer> coalescer_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> MakeBatched(const StrategyOptions& options) {
  auto conn = OpenPrepared(options.store_url, kStatements);
  if (!conn) return conn.error();
  return std::unique_ptr<Strategy>(
      new Batched(std::make_unique<Coalescer>(std::move(conn).value(), options)));
}

}  // namespace bo::lockbench
