// optimistic: read the row with its version, then update only if the version is unchanged;
// zero rows updated is a conflict, retried after a jittered backoff up to retry_attempts_max
// attempts in all (kRetriesExhausted after the last).
//   BEGIN; SELECT capacity, sold, version; UPDATE … WHERE version = $v; INSERT; COMMIT
// Under READ COMMITTED, an UPDATE that meets a row changed by a transaction still open waits
// for it, then finds the version changed: a conflict.
#include <array>
#include <random>
#include <string>
#include <thread>

#include "lockbench/backoff.h"
#include "lockbench/pg_session.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {
namespace {

constexpr StatementSql kReadRow = {
    "read_row", "SELECT capacity, sold, version FROM lockbench.ticket_types WHERE id = $1"};
constexpr StatementSql kTakeIfVersion = {
    "take_if_version",
    "UPDATE lockbench.ticket_types SET sold = sold + 1, version = version + 1 "
    "WHERE id = $1 AND version = $2"};
constexpr std::array<StatementSql, 3> kStatements = {kReadRow, kTakeIfVersion, kRecordPurchase};

class OptimisticSession : public Session {
 public:
  OptimisticSession(std::unique_ptr<pg::Connection> conn, const StrategyOptions& options,
                    int worker)
      : conn_(std::move(conn)),
        id_(std::to_string(options.ticket_type_id)),
        worker_(std::to_string(worker)),
        retry_attempts_max_(options.retry_attempts_max),
        transaction_delay_ms_(options.transaction_delay_ms),
        backoff_{options.backoff_initial_us, options.backoff_max_us},
        rng_(std::random_device{}()) {}

  Attempt Purchase() override {
    for (int retry = 0;; ++retry) {
      pg::Reply begun = conn_->Exec("BEGIN");
      if (!begun.ok()) return FailedAttempt(begun, "BEGIN", retry);
      pg::Reply row = conn_->Run(kReadRow.name, {id_});
      if (!row.ok()) return Abort(row, "SELECT", retry);
      if (row.rows() != 1) {
        RollbackQuietly(*conn_);
        return ErrorAttempt("ticket type " + id_ + " not found", retry);
      }
      if (row.Int64(0, 1) >= row.Int64(0, 0)) {
        RollbackQuietly(*conn_);
        return Attempt{Outcome::kSoldOut, retry, ""};
      }
      const std::string version = row.Text(0, 2);
      TransactionDelay(transaction_delay_ms_);
      pg::Reply taken = conn_->Run(kTakeIfVersion.name, {id_, version});
      if (!taken.ok()) return Abort(taken, "UPDATE … WHERE version", retry);
      if (taken.affected_rows() == 1) {
        pg::Reply recorded = conn_->Run(kRecordPurchase.name, {id_, worker_});
        if (!recorded.ok()) return Abort(recorded, "INSERT", retry);
        pg::Reply committed = conn_->Exec("COMMIT");
        if (!committed.ok()) return Abort(committed, "COMMIT", retry);
        return Attempt{Outcome::kPurchased, retry, ""};
      }
      RollbackQuietly(*conn_);  // a conflict: another purchase changed the version first
      if (retry + 1 >= retry_attempts_max_) {
        return Attempt{
            Outcome::kRetriesExhausted, retry,
            "version conflict on each of " + std::to_string(retry_attempts_max_) + " attempts"};
      }
      std::this_thread::sleep_for(BackoffDelay(backoff_, retry, rng_));
    }
  }

  bool usable() const override { return !conn_->broken(); }

 private:
  Attempt Abort(const pg::Reply& reply, const char* what, int retries) {
    RollbackQuietly(*conn_);
    return FailedAttempt(reply, what, retries);
  }

  std::unique_ptr<pg::Connection> conn_;
  std::string id_;
  std::string worker_;
  int retry_attempts_max_;
  int transaction_delay_ms_;
  BackoffPolicy backoff_;
  std::mt19937_64 rng_;
};

class Optimistic : public Strategy {
 public:
  explicit Optimistic(const StrategyOptions& options) : options_(options) {}

  std::string_view name() const override { return "optimistic"; }

  Result<std::unique_ptr<Session>> OpenSession(int worker) override {
    auto conn = OpenPrepared(options_.store_url, kStatements);
    if (!conn) return conn.error();
    return std::unique_ptr<Session>(
        new OptimisticSession(std::move(conn).value(), options_, worker));
  }

 private:
  StrategyOptions options_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> MakeOptimistic(const StrategyOptions& options) {
  return std::unique_ptr<Strategy>(new Optimistic(options));
}

}  // namespace bo::lockbench
