#include "cli/config.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crypto/encoding.h"

namespace bo {

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/boxoffice.db"; }

std::string ResolveJwtSecret(const std::string& flag, const std::string& data_dir, bool create) {
  if (!flag.empty()) return flag;
  const std::string path = data_dir + "/jwt-secret";
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string secret = ss.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (!secret.empty()) return secret;
    }
  }
  if (!create) {
    throw std::runtime_error("no JWT secret: pass --jwt-secret or a --data-dir that has one");
  }
  std::filesystem::create_directories(data_dir);
  const std::string secret = Base64UrlEncode(RandomBytes(32));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << secret << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path);
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
