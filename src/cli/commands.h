// The subcommands of the boxoffice binary. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace bo {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./boxoffice-data";
  std::string store;
  std::string redis;
  std::string nats;
  std::string trusted_proxies;  // addresses and networks, comma-separated
  int hold_seconds = 300;
  int threads = 0;  // 0: one per core
  std::string jwt_secret;
  bool demo = false;
  bool access_log = true;
  int batch_size_max = 512;
  int db_writer_lanes = 2;  // PostgreSQL writer connections, each with its thread and queue
  int db_pool_size = 8;     // PostgreSQL reader connections at most
  // Queue token requests (POST /v1/queue/tokens) allowed per minute, in bursts of as many.
  int queue_joins_per_user_per_minute = 20;
  int queue_joins_per_address_per_minute = 600;
  // Users, and client addresses, each limit keeps a bucket for at once.
  int rate_limit_keys_max = 1'000'000;
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

// `args` are the words after `bench`: a scenario name, then its options.
int Bench(const std::vector<std::string>& args);

}  // namespace bo
