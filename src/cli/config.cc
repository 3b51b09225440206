#include "cli/config.h"

#include <filesystem>
#include <stdexcept>

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
                           ": this build serves the embedded SQLite store only "
                           "(a sqlite:PATH URL or none)");
}

}  // namespace bo
