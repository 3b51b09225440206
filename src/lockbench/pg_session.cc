#include "lockbench/pg_session.h"

#include <chrono>
#include <thread>
#include <utility>

#include "common/assert.h"

namespace bo::lockbench {

Result<std::unique_ptr<pg::Connection>> OpenPrepared(const std::string& url,
                                                     std::span<const StatementSql> statements) {
  auto conn = pg::Connection::Open(url);
  if (!conn) return conn.error();
  for (const StatementSql& statement : statements) {
    Status prepared = (*conn)->Prepare(statement.name, statement.sql);
    if (!prepared) return prepared.error();
  }
  return std::move(conn).value();
}

Attempt FailedAttempt(const pg::Reply& reply, const char* what, int retries) {
  BO_ASSERT(!reply.ok());
  Outcome outcome = Outcome::kError;
  if (reply.sqlstate() == pg::kDeadlockDetected) {
    outcome = Outcome::kDeadlock;
  } else if (reply.sqlstate() == pg::kLockNotAvailable) {
    outcome = Outcome::kLockTimeout;
  }
  return Attempt{outcome, retries,
                 std::string(what) + ": " + reply.error() + " (SQLSTATE " + reply.sqlstate() + ")"};
}

Attempt ErrorAttempt(std::string error, int retries) {
  return Attempt{Outcome::kError, retries, std::move(error)};
}

void RollbackQuietly(pg::Connection& conn) {
  if (!conn.broken()) (void)conn.Exec("ROLLBACK");
}

void TransactionDelay(int transaction_delay_ms) {
  if (transaction_delay_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(transaction_delay_ms));
  }
}

}  // namespace bo::lockbench
