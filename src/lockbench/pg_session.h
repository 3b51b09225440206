// What the PostgreSQL sessions of the strategies share: a connection opened with the session's
// statements prepared, the reading of a failed reply as an Outcome, and the statement that
// records a purchase.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "adapters/postgres/connection.h"
#include "common/result.h"
#include "lockbench/strategy.h"

namespace bo::lockbench {

// One statement a session prepares on its connection.
struct StatementSql {
  const char* name;
  const char* sql;
};

// Records the purchase of one unit. $1 ticket type id, $2 worker.
inline constexpr StatementSql kRecordPurchase = {
    "record_purchase", "INSERT INTO lockbench.purchases (ticket_type_id, worker) VALUES ($1, $2)"};

// Connects to `url` and prepares every statement of `statements` on the connection.
Result<std::unique_ptr<pg::Connection>> OpenPrepared(const std::string& url,
                                                     std::span<const StatementSql> statements);

// The failed attempt that `reply` describes: a deadlock, a lock timeout, or an error; `what`
// names the step ("SELECT … FOR UPDATE").
// REQUIRES: !reply.ok()
Attempt FailedAttempt(const pg::Reply& reply, const char* what, int retries);

// An attempt that failed for a reason of the experiment's own (an unexpected answer).
Attempt ErrorAttempt(std::string error, int retries);

// Ends the open transaction, if any, ignoring the answer: after a failed statement the
// connection is either in an aborted transaction (ROLLBACK ends it) or lost (nothing to do).
void RollbackQuietly(pg::Connection& conn);

// Sleeps for `transaction_delay_ms` (StrategyOptions); nothing when it is 0.
void TransactionDelay(int transaction_delay_ms);

}  // namespace bo::lockbench
