// Settings shared by the commands: where the data lives and the secrets derived from it.
#pragma once

#include <string>

namespace bo {

// The SQLite file inside a data directory.
std::string DatabasePath(const std::string& data_dir);

// Returns the JWT secret: `flag` if set; else the one kept in `data_dir`/jwt-secret, created
// (mode 0600) the first time when `create` is true. Throws std::runtime_error if there is none.
std::string ResolveJwtSecret(const std::string& flag, const std::string& data_dir, bool create);

// The key that signs ticket codes, derived from the JWT secret so that instances sharing the
// secret agree on codes.
std::string TicketCodeKey(const std::string& jwt_secret);

// Resolves --store: empty means SQLite in the data dir. Throws std::runtime_error for a URL
// this build cannot use.
std::string ResolveSqlitePath(const std::string& store_url, const std::string& data_dir);

}  // namespace bo
