// The subcommands of the boxoffice binary. Each returns the process exit code.
#pragma once

#include <string>

namespace bo {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./boxoffice-data";
  std::string store;
  std::string redis;
  std::string nats;
  int hold_seconds = 300;
  int threads = 0;  // 0: one per core
  std::string jwt_secret;
  bool demo = false;
  bool access_log = true;
  int batch_size_max = 512;
};
int Serve(const ServeFlags& flags);

int Migrate(const std::string& store, const std::string& data_dir);

struct TokenFlags {
  bool admin = false;
  std::string user;
  std::string name;
  std::string grade = "BASIC";
  int ttl_seconds = 3600;
  std::string jwt_secret;
  std::string data_dir = "./boxoffice-data";
};
int Token(const TokenFlags& flags);

int Audit(const std::string& store, const std::string& data_dir);

}  // namespace bo
