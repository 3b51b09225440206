// Numbered schema migrations, embedded in the binary from db/migrations/<backend>/NNNN_*.sql
// (cmake/embed_migrations.cmake) and recorded in schema_migrations as they are applied.
#pragma once

#include <vector>

namespace bo {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// The migrations of each backend, in version order (generated at build time).
const std::vector<Migration>& SqliteMigrations();
const std::vector<Migration>& PostgresMigrations();

}  // namespace bo
