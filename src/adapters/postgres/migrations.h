// Applies the PostgreSQL migrations (adapters/migration.h) under an advisory lock, so that
// instances starting at once apply each migration exactly once.
#pragma once

#include "adapters/migration.h"
#include "adapters/postgres/connection.h"

namespace bo::postgres {

// Applies every migration newer than the database's, each in its own transaction. Returns how
// many were applied. Throws pg::PgError.
// REQUIRES: `conn` was opened with pg::Connection::Open (blocking mode).
int ApplyMigrations(pg::Connection& conn);

}  // namespace bo::postgres
