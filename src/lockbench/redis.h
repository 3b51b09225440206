// A small RAII layer over one blocking hiredis connection, with the two commands a lock needs:
// set-if-absent with a time to live, and compare-and-delete by a Lua script.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct redisContext;
struct redisReply;

namespace bo::lockbench::redis {

// Where a Redis server is: redis://[[user]:password@]host[:port][/db].
struct Address {
  std::string host;
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Parses a redis:// URL. The error says what is wrong with it.
Result<Address> ParseUrl(std::string_view url);

class Connection {
 public:
  // Connects to the server at `url`, authenticates and selects the database if the URL says
  // so, and loads the compare-and-delete script. Every command, the connect included, gives up
  // after `timeout_ms`.
  // REQUIRES: timeout_ms > 0
  static Result<std::unique_ptr<Connection>> Open(const std::string& url, int timeout_ms);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // SET key value NX PX ttl_ms: true if the key was absent and is now set.
  // REQUIRES: ttl_ms > 0
  Result<bool> SetIfAbsent(std::string_view key, std::string_view value, std::int64_t ttl_ms);

  // Deletes `key` only if it holds `value`, atomically (a Lua script run by EVALSHA, or by
  // EVAL if the server has lost the script): true if deleted, false if the key held another
  // value or none (its time to live ran out).
  Result<bool> DeleteIfEquals(std::string_view key, std::string_view value);

  // True after an I/O or protocol error; hiredis cannot use the connection again.
  bool broken() const;

 private:
  explicit Connection(redisContext* context) : context_(context) {}
  // Sends one command; the reply (owned by the caller, freed with freeReplyObject) or null
  // with `*error` set when the connection failed.
  redisReply* Command(std::initializer_list<std::string_view> args, std::string* error);
  Result<std::int64_t> IntegerCommand(std::initializer_list<std::string_view> args);

  redisContext* context_;
  std::string script_sha_;
};

}  // namespace bo::lockbench::redis
