// A small synchronous Redis client on hiredis: a bounded pool of connections, commands as
// argument vectors, and Lua scripts run by their SHA-1 (EVALSHA), sent again in full when the
// server does not know them (after a restart or SCRIPT FLUSH). Thread-safe.
//
// Replies are copied into RedisReply, so no hiredis type leaves client.cc.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct redisContext;

namespace bo::redis {

// redis://host[:port][/db]
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
};

// kInvalidRequest naming what is wrong with `url`.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string text;  // kString, kStatus, kError
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
};

// A Lua script and its SHA-1, as EVALSHA names it.
class LuaScript {
 public:
  explicit LuaScript(std::string text);
  const std::string& text() const { return text_; }
  const std::string& sha1_hex() const { return sha1_hex_; }

 private:
  std::string text_;
  std::string sha1_hex_;
};

struct RedisClientOptions {
  int connections_max = 32;
  int timeout_ms = 1000;  // connecting, each command, and waiting for a free connection
};

class RedisClient {
 public:
  // Connects once (and PINGs) to tell a wrong address at start-up; kUnavailable if it cannot.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisEndpoint& endpoint,
                                                      RedisClientOptions options = {});
  ~RedisClient();

  // Runs one command. A reply of type kError is a value, not a failure; kUnavailable when the
  // server cannot be reached (tried on a new connection once, after a broken one).
  Result<RedisReply> Command(const std::vector<std::string>& argv);

  // Runs `script` with no KEYS and `args` as ARGV.
  Result<RedisReply> Eval(const LuaScript& script, const std::vector<std::string>& args);

 private:
  RedisClient(const RedisEndpoint& endpoint, RedisClientOptions options);

  // A connection of the pool, or nullptr with *error set.
  redisContext* Acquire(std::string* error);
  // Returns a connection to the pool; a broken one is closed instead.
  void Release(redisContext* context, bool broken);
  redisContext* Open(std::string* error);

  const RedisEndpoint endpoint_;
  const RedisClientOptions options_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<redisContext*> idle_;
  int open_ = 0;  // connections out of the pool or idle in it
};

}  // namespace bo::redis
