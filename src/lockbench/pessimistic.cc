// pessimistic: lock the ticket type's row, then check, update and record while holding it.
//   BEGIN; SELECT … FOR UPDATE; UPDATE; INSERT; COMMIT
// Waiters queue on the row lock; lock_timeout bounds the wait (kLockTimeout past it).
#include <array>
#include <string>

#include "lockbench/pg_session.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {
namespace {

constexpr StatementSql kSetLockTimeout = {"set_lock_timeout",
                                          "SELECT set_config('lock_timeout', $1, false)"};
constexpr StatementSql kLockRow = {
    "lock_row", "SELECT capacity, sold FROM lockbench.ticket_types WHERE id = $1 FOR UPDATE"};
constexpr StatementSql kTakeOne = {
    "take_one", "UPDATE lockbench.ticket_types SET sold = sold + 1 WHERE id = $1"};
constexpr std::array<StatementSql, 4> kStatements = {kSetLockTimeout, kLockRow, kTakeOne,
                                                     kRecordPurchase};

class PessimisticSession : public Session {
 public:
  PessimisticSession(std::unique_ptr<pg::Connection> conn, const StrategyOptions& options,
                     int worker)
      : conn_(std::move(conn)),
        id_(std::to_string(options.ticket_type_id)),
        worker_(std::to_string(worker)),
        transaction_delay_ms_(options.transaction_delay_ms) {}

  Attempt Purchase() override {
    pg::Reply begun = conn_->Exec("BEGIN");
    if (!begun.ok()) return FailedAttempt(begun, "BEGIN", 0);
    pg::Reply row = conn_->Run(kLockRow.name, {id_});
    if (!row.ok()) return Abort(row, "SELECT … FOR UPDATE");
    if (row.rows() != 1) {
      RollbackQuietly(*conn_);
      return ErrorAttempt("ticket type " + id_ + " not found", 0);
    }
    if (row.Int64(0, 1) >= row.Int64(0, 0)) {
      RollbackQuietly(*conn_);
      return Attempt{Outcome::kSoldOut, 0, ""};
    }
    TransactionDelay(transaction_delay_ms_);
    pg::Reply taken = conn_->Run(kTakeOne.name, {id_});
    if (!taken.ok()) return Abort(taken, "UPDATE");
    pg::Reply recorded = conn_->Run(kRecordPurchase.name, {id_, worker_});
    if (!recorded.ok()) return Abort(recorded, "INSERT");
    pg::Reply committed = conn_->Exec("COMMIT");
    if (!committed.ok()) return Abort(committed, "COMMIT");
    return Attempt{Outcome::kPurchased, 0, ""};
  }

  bool usable() const override { return !conn_->broken(); }

 private:
  Attempt Abort(const pg::Reply& reply, const char* what) {
    RollbackQuietly(*conn_);
    return FailedAttempt(reply, what, 0);
  }

  std::unique_ptr<pg::Connection> conn_;
  std::string id_;
  std::string worker_;
  int transaction_delay_ms_;
};

class Pessimistic : public Strategy {
 public:
  explicit Pessimistic(const StrategyOptions& options) : options_(options) {}

  std::string_view name() const override { return "pessimistic"; }

  Result<std::unique_ptr<Session>> OpenSession(int worker) override {
    auto conn = OpenPrepared(options_.store_url, kStatements);
    if (!conn) return conn.error();
    const std::string timeout = std::to_string(options_.lock_wait_ms) + "ms";
    pg::Reply set = (*conn)->Run(kSetLockTimeout.name, {timeout});
    if (!set.ok())
      return MakeError(ErrorCode::kUnavailable, "setting lock_timeout: " + set.error());
    return std::unique_ptr<Session>(
        new PessimisticSession(std::move(conn).value(), options_, worker));
  }

 private:
  StrategyOptions options_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> MakePessimistic(const StrategyOptions& options) {
  return std::unique_ptr<Strategy>(new Pessimistic(options));
}

}  // namespace bo::lockbench
