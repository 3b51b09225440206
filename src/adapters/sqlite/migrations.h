// Numbered schema migrations, embedded in the binary from db/migrations/<backend>/NNNN_*.sql
// and recorded in schema_migrations as they are applied.
#pragma once

#include <string>
#include <vector>

#include "adapters/sqlite/db.h"

namespace bo {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// The SQLite migrations in version order (generated at build time).
const std::vector<Migration>& SqliteMigrations();

namespace sqlite {

// Applies every migration newer than the database's, each in its own transaction.
// Returns how many were applied. Throws SqliteError.
int ApplyMigrations(Db& db);

}  // namespace sqlite
}  // namespace bo
