// Applies the SQLite migrations (adapters/migration.h).
#pragma once

#include "adapters/migration.h"
#include "adapters/sqlite/db.h"

namespace bo::sqlite {

// Applies every migration newer than the database's, each in its own transaction.
// Returns how many were applied. Throws SqliteError.
int ApplyMigrations(Db& db);

}  // namespace bo::sqlite
