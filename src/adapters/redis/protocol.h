// What the Redis clients of boxoffice share: where a server is (a redis:// URL), a reply as a
// plain value (no hiredis type leaves the adapters' .cc files), and a Lua script named by its
// SHA-1 for EVALSHA.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct redisReply;

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

// A copy of a hiredis reply.
RedisReply CopyReply(const redisReply& r);

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

}  // namespace bo::redis
