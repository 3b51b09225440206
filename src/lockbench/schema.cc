#include "lockbench/schema.h"

#include <string>

namespace bo::lockbench {
namespace {

// The advisory lock key of the experiment: "lockbnch" in ASCII.
constexpr std::string_view kExperimentLockKey = "7813573191375151976";

constexpr const char* kResetSql =
    "CREATE SCHEMA IF NOT EXISTS lockbench;"
    "DROP TABLE IF EXISTS lockbench.purchases;"
    "DROP TABLE IF EXISTS lockbench.ticket_types;"
    "CREATE TABLE lockbench.ticket_types ("
    "  id bigint PRIMARY KEY,"
    "  strategy text NOT NULL,"
    "  capacity bigint NOT NULL CHECK (capacity >= 0),"
    "  sold bigint NOT NULL DEFAULT 0,"
    "  version bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE lockbench.purchases ("
    "  id bigserial PRIMARY KEY,"
    "  ticket_type_id bigint NOT NULL,"
    "  worker integer NOT NULL);";

Error Failed(const char* what, const pg::Reply& reply) {
  return MakeError(ErrorCode::kUnavailable, std::string(what) + ": " + reply.error() +
                                                " (SQLSTATE " + reply.sqlstate() + ")");
}

}  // namespace

Status LockExperiment(pg::Connection& conn) {
  pg::Reply locked = conn.RunOnce("SELECT pg_try_advisory_lock($1::bigint)", {kExperimentLockKey});
  if (!locked.ok()) return Failed("taking the experiment's advisory lock", locked);
  if (locked.Text(0, 0) != "t") {
    return MakeError(ErrorCode::kUnavailable,
                     "another lock-strategies run is using this database; wait for it to end");
  }
  return Ok();
}

Status ResetSchema(pg::Connection& conn) {
  pg::Reply reset = conn.Exec(kResetSql);
  if (!reset.ok()) return Failed("creating schema lockbench", reset);
  return Ok();
}

Status AddTicketType(pg::Connection& conn, std::int64_t id, std::string_view strategy,
                     std::int64_t capacity) {
  pg::Reply added = conn.RunOnce(
      "INSERT INTO lockbench.ticket_types (id, strategy, capacity) VALUES ($1, $2, $3)",
      {std::to_string(id), strategy, std::to_string(capacity)});
  if (!added.ok()) return Failed("adding the ticket type", added);
  return Ok();
}

Result<StoredCounts> ReadStoredCounts(pg::Connection& conn, std::int64_t id) {
  pg::Reply counts = conn.RunOnce(
      "SELECT capacity, sold, "
      "  (SELECT count(*) FROM lockbench.purchases WHERE ticket_type_id = $1) "
      "FROM lockbench.ticket_types WHERE id = $1",
      {std::to_string(id)});
  if (!counts.ok()) return Failed("reading the counts", counts);
  if (counts.rows() != 1) {
    return MakeError(ErrorCode::kNotFound, "ticket type " + std::to_string(id) + " is gone");
  }
  return StoredCounts{counts.Int64(0, 0), counts.Int64(0, 1), counts.Int64(0, 2)};
}

Result<ServerSettings> ReadServerSettings(pg::Connection& conn) {
  pg::Reply settings = conn.RunOnce(
      "SELECT current_setting('server_version'), current_setting('synchronous_commit'), "
      "current_setting('fsync'), current_setting('max_connections'), "
      "current_setting('default_transaction_isolation')",
      {});
  if (!settings.ok()) return Failed("reading server settings", settings);
  return ServerSettings{settings.Text(0, 0), settings.Text(0, 1), settings.Text(0, 2),
                        settings.Text(0, 3), settings.Text(0, 4)};
}

}  // namespace bo::lockbench
