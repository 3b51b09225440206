// The experiment's own tables, in schema `lockbench` of the database it is given, so that it
// never touches boxoffice's tables:
//   lockbench.ticket_types (id, strategy, capacity, sold, version): one row per strategy run
//   lockbench.purchases    (id, ticket_type_id, worker): one row per unit sold
// Neither table repeats `sold <= capacity` as a CHECK, nor references the other: each
// strategy's own concurrency control is what keeps the data consistent, and the check after
// the run (consistency.h) is what shows whether it did.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/postgres/connection.h"
#include "common/result.h"
#include "lockbench/consistency.h"

namespace bo::lockbench {

// Takes a session-level advisory lock that another run of the experiment on the same database
// would also take; fails at once if one holds it. Held until `conn` closes.
Status LockExperiment(pg::Connection& conn);

// Drops and creates the schema's tables (their rows from an earlier run go).
Status ResetSchema(pg::Connection& conn);

// Adds ticket type `id` for `strategy` with `capacity` units and none sold.
// REQUIRES: ResetSchema since any other ticket type with this id; capacity >= 0
Status AddTicketType(pg::Connection& conn, std::int64_t id, std::string_view strategy,
                     std::int64_t capacity);

// What the database holds for ticket type `id` now.
Result<StoredCounts> ReadStoredCounts(pg::Connection& conn, std::int64_t id);

// The server settings that shape the figures.
struct ServerSettings {
  std::string server_version;
  std::string synchronous_commit;
  std::string fsync;
  std::string max_connections;
  std::string transaction_isolation;  // the default for new transactions
};
Result<ServerSettings> ReadServerSettings(pg::Connection& conn);

}  // namespace bo::lockbench
