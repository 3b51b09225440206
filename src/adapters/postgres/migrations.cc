#include "adapters/postgres/migrations.h"

#include <string>

namespace bo::postgres {
namespace {

// The advisory lock key of schema changes: "boxomigr" in ASCII.
constexpr std::string_view kMigrationLockKey = "7093020358104147826";

void Expect(const pg::Reply& reply, const char* what) { reply.Check(what); }

}  // namespace

int ApplyMigrations(pg::Connection& conn) {
  Expect(conn.RunOnce("SELECT pg_advisory_lock($1::bigint)", {kMigrationLockKey}),
         "taking the migration lock");
  int applied = 0;
  try {
    Expect(conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " applied_at_ms BIGINT NOT NULL)"),
           "creating schema_migrations");
    const pg::Reply current = conn.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    Expect(current, "reading the schema version");
    const std::int64_t version = current.Int64(0, 0);
    for (const Migration& m : PostgresMigrations()) {
      if (m.version <= version) continue;
      Expect(conn.Exec("BEGIN"), "BEGIN");
      try {
        Expect(conn.Exec(m.sql), m.name);
        Expect(conn.RunOnce("INSERT INTO schema_migrations(version, name, applied_at_ms)"
                            " VALUES ($1::int, $2,"
                            " (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
                            {std::to_string(m.version), m.name}),
               "recording the migration");
        Expect(conn.Exec("COMMIT"), "COMMIT");
      } catch (...) {
        (void)conn.Exec("ROLLBACK");
        throw;
      }
      ++applied;
    }
  } catch (...) {
    (void)conn.RunOnce("SELECT pg_advisory_unlock($1::bigint)", {kMigrationLockKey});
    throw;
  }
  Expect(conn.RunOnce("SELECT pg_advisory_unlock($1::bigint)", {kMigrationLockKey}),
         "releasing the migration lock");
  return applied;
}

}  // namespace bo::postgres
