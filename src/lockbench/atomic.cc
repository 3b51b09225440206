// atomic: one conditional statement per purchase, in its own implicit transaction; the WHERE
// clause is the invariant, so no lock is waited for beyond the row's own write.
//   WITH taken AS (UPDATE … SET sold = sold + 1 WHERE id = $1 AND sold < capacity RETURNING id)
//   INSERT INTO purchases SELECT … FROM taken
// One row inserted is a purchase; none is sold out. With a transaction delay the statement runs
// inside BEGIN … COMMIT with the pause before COMMIT (the row stays locked meanwhile).
#include <array>
#include <string>

#include "lockbench/pg_session.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {
namespace {

constexpr StatementSql kTakeAndRecord = {
    "take_and_record",
    "WITH taken AS (UPDATE lockbench.ticket_types SET sold = sold + 1 "
    "WHERE id = $1 AND sold < capacity RETURNING id) "
    "INSERT INTO lockbench.purchases (ticket_type_id, worker) SELECT id, $2 FROM taken"};
constexpr std::array<StatementSql, 1> kStatements = {kTakeAndRecord};

class AtomicSession : public Session {
 public:
  AtomicSession(std::unique_ptr<pg::Connection> conn, const StrategyOptions& options, int worker)
      : conn_(std::move(conn)),
        id_(std::to_string(options.ticket_type_id)),
        worker_(std::to_string(worker)),
        transaction_delay_ms_(options.transaction_delay_ms) {}

  Attempt Purchase() override {
    if (transaction_delay_ms_ == 0) return TakeAndRecord();
    pg::Reply begun = conn_->Exec("BEGIN");
    if (!begun.ok()) return FailedAttempt(begun, "BEGIN", 0);
    Attempt attempt = TakeAndRecord();
    if (attempt.outcome != Outcome::kPurchased) {
      RollbackQuietly(*conn_);
      return attempt;
    }
    TransactionDelay(transaction_delay_ms_);
    pg::Reply committed = conn_->Exec("COMMIT");
    if (!committed.ok()) {
      RollbackQuietly(*conn_);
      return FailedAttempt(committed, "COMMIT", 0);
    }
    return attempt;
  }

  bool usable() const override { return !conn_->broken(); }

 private:
  // The one statement, and what its answer means.
  Attempt TakeAndRecord() {
    pg::Reply reply = conn_->Run(kTakeAndRecord.name, {id_, worker_});
    if (!reply.ok()) return FailedAttempt(reply, "UPDATE … WHERE sold < capacity", 0);
    switch (reply.affected_rows()) {
      case 1:
        return Attempt{Outcome::kPurchased, 0, ""};
      case 0:
        return Attempt{Outcome::kSoldOut, 0, ""};
      default:
        return ErrorAttempt(
            "one purchase inserted " + std::to_string(reply.affected_rows()) + " rows", 0);
    }
  }

  std::unique_ptr<pg::Connection> conn_;
  std::string id_;
  std::string worker_;
  int transaction_delay_ms_;
};

class Atomic : public Strategy {
 public:
  explicit Atomic(const StrategyOptions& options) : options_(options) {}

  std::string_view name() const override { return "atomic"; }

  Result<std::unique_ptr<Session>> OpenSession(int worker) override {
    auto conn = OpenPrepared(options_.store_url, kStatements);
    if (!conn) return conn.error();
    return std::unique_ptr<Session>(new AtomicSession(std::move(conn).value(), options_, worker));
  }

 private:
  StrategyOptions options_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> MakeAtomic(const StrategyOptions& options) {
  return std::unique_ptr<Strategy>(new Atomic(options));
}

}  // namespace bo::lockbench
