#include "cli/config.h"

#include <filesystem>
#include <stdexcept>

#include "adapters/postgres/postgres_store.h"
#include "adapters/sqlite/sqlite_store.h"
#include "crypto/encoding.h"
#include "crypto/secret_file.h"

namespace bo {

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/boxoffice.db"; }

std::string ResolveJwtSecret(const std::string& flag, const std::string& data_dir, bool create) {
  if (!flag.empty()) return flag;
  const std::string path = JwtSecretPath(data_dir);
  if (auto secret = ReadSecretFile(path)) return *secret;
  if (!create) {
    throw std::runtime_error("no JWT secret: pass --jwt-secret or a --data-dir that has one");
  }
  const std::string secret = Base64UrlEncode(RandomBytes(32));
  WriteSecretFile(path, secret);
  return secret;
}

std::string TicketCodeKey(const std::string& jwt_secret) {
  return HmacSha256(jwt_secret, "boxoffice ticket codes v1");
}

std::string ResolveSqlitePath(const std::string& store_url, const std::string& data_dir) {
  if (store_url.empty()) {
    std::filesystem::create_directories(data_dir);
    return DatabasePath(data_dir);
  }
  constexpr std::string_view kSqlite = "sqlite:";
  if (store_url.rfind(kSqlite, 0) == 0) return store_url.substr(kSqlite.size());
  throw std::runtime_error("--store " + store_url +
                           ": expected sqlite:PATH, postgres://user@host:port/db or nothing");
}

bool IsPostgresUrl(const std::string& store_url) {
  return store_url.rfind("postgres://", 0) == 0 || store_url.rfind("postgresql://", 0) == 0;
}

std::unique_ptr<Store> OpenStore(const StoreFlags& flags) {
  if (IsPostgresUrl(flags.store)) {
    postgres::PostgresOptions options;
    options.url = flags.store;
    options.batch_size_max = flags.batch_size_max;
    options.writer_lanes = flags.db_writer_lanes;
    options.pool_size = flags.db_pool_size;
    return std::make_unique<postgres::PostgresStore>(std::move(options));
  }
  sqlite::SqliteOptions options{ResolveSqlitePath(flags.store, flags.data_dir),
                                flags.batch_size_max};
  options.outbox_signal = flags.outbox_signal;
  return std::make_unique<sqlite::SqliteStore>(std::move(options));
}

std::string DescribeStore(const StoreFlags& flags) {
  if (IsPostgresUrl(flags.store)) return "postgres " + pg::DescribeUrl(flags.store);
  return "sqlite " + ResolveSqlitePath(flags.store, flags.data_dir);
}

}  // namespace bo
