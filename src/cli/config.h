// Settings shared by the commands: where the data lives and the secrets derived from it.
#pragma once

#include <memory>
#include <string>

#include "ports/outbox_signal.h"
#include "ports/store.h"

namespace bo {

// The SQLite file inside a data directory.
std::string DatabasePath(const std::string& data_dir);

// Returns the JWT secret: `flag` if set; else the one kept in `data_dir`/jwt-secret, created
// (mode 0600) the first time when `create` is true. Throws std::runtime_error if there is none.
std::string ResolveJwtSecret(const std::string& flag, const std::string& data_dir, bool create);

// The key that signs ticket codes, derived from the JWT secret so that instances sharing the
// secret agree on codes.
std::string TicketCodeKey(const std::string& jwt_secret);

// Resolves --store for SQLite: empty means SQLite in the data dir. Throws std::runtime_error
// for a URL that names no SQLite file.
std::string ResolveSqlitePath(const std::string& store_url, const std::string& data_dir);

// Whether --store names a PostgreSQL database (postgres:// or postgresql://).
bool IsPostgresUrl(const std::string& store_url);

struct StoreFlags {
  std::string store;     // --store: empty, sqlite:PATH or postgres://…
  std::string data_dir;  // where the SQLite file lives by default
  int batch_size_max = 512;
  int db_writer_lanes = 2;  // PostgreSQL only
  int db_pool_size = 8;     // PostgreSQL only
  // Told after each commit that appended events (SQLite only). REQUIRES: outlives the store.
  OutboxSignal* outbox_signal = nullptr;
};

// Opens the store --store names, applying pending migrations. Throws std::exception if it
// cannot.
std::unique_ptr<Store> OpenStore(const StoreFlags& flags);

// The store for logs: the SQLite path, or PostgreSQL's host:port/db (no credentials).
std::string DescribeStore(const StoreFlags& flags);

}  // namespace bo
