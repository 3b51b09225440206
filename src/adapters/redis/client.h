// The Redis client of the adapters: a few pipelined connections (pipelined_connection.h), each
// with a thread that sends the commands of every caller in rounds. Commands are asynchronous
// (their reply comes to a callback on a connection's thread) or synchronous (the caller waits
// for the reply); Lua scripts run by their SHA-1 (EVALSHA), sent again in full when the server
// does not know them. Thread-safe.
//
// Limits: `connections` connections; on each, at most queued_requests_max commands waiting
// and batch_requests_max sent per round; a command that finds its connection's queue full is
// answered kUnavailable at once, as is one that cannot reach Redis or has no reply within
// timeout_ms. Every command is answered exactly once.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/pipelined_connection.h"
#include "adapters/redis/protocol.h"
#include "common/result.h"

namespace bo::redis {

struct RedisClientOptions {
  int connections = 2;
  int timeout_ms = 1000;              // connecting, and waiting for each reply
  size_t queued_requests_max = 4096;  // per connection
  size_t batch_requests_max = 256;    // per connection and round
};

class RedisClient {
 public:
  // Starts the connections and PINGs Redis to tell a wrong address at start-up; kUnavailable
  // if it does not answer.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisEndpoint& endpoint,
                                                      RedisClientOptions options = {});
  // Answers every command queued (Redis permitting) and closes the connections.
  // REQUIRES: not called from a callback of this client.
  ~RedisClient();

  // Runs one command; `done` gets the reply (a reply of type kError is a value, not a
  // failure) or kUnavailable, on a connection's thread, or at once on the caller's thread if
  // the queue is full. REQUIRES: !argv.empty(); `done` is short and waits for no command of
  // this client (see RedisDone).
  void Submit(std::vector<std::string> argv, RedisDone done);

  // Runs `script` with no KEYS and `args` as ARGV, like Submit. REQUIRES: `script` outlives
  // the command.
  void SubmitEval(const LuaScript& script, std::vector<std::string> args, RedisDone done);

  // Submit and SubmitEval, waiting for the reply.
  // REQUIRES: not called from a callback of this client (it would wait for itself).
  Result<RedisReply> Command(std::vector<std::string> argv);
  Result<RedisReply> Eval(const LuaScript& script, std::vector<std::string> args);

 private:
  RedisClient(const RedisEndpoint& endpoint, RedisClientOptions options);
  PipelinedConnection& Next();

  std::vector<std::unique_ptr<PipelinedConnection>> connections_;
  std::atomic<size_t> next_{0};
};

}  // namespace bo::redis
