#include "adapters/sqlite/migrations.h"

namespace bo::sqlite {

int ApplyMigrations(Db& db) {
  db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)");
  std::int64_t current = 0;
  {
    auto q = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (q.Step()) current = q.Int(0);
  }
  int applied = 0;
  for (const auto& m : SqliteMigrations()) {
    if (m.version <= current) continue;
    db.Exec("BEGIN IMMEDIATE");
    try {
      db.Exec(m.sql);
      db.Prepare(
            "INSERT INTO schema_migrations(version, name, applied_at_ms) "
            "VALUES (?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))")
          .Bind(1, m.version)
          .Bind(2, m.name)
          .Exec();
      db.Exec("COMMIT");
    } catch (...) {
      db.Exec("ROLLBACK");
      throw;
    }
    ++applied;
  }
  return applied;
}

}  // namespace bo::sqlite
