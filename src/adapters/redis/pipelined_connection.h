// One Redis connection driven by a thread of its own, which pipelines the commands of every
// caller: each round it takes what is queued (up to batch_requests_max), appends it all to the
// connection, sends it in one write and reads the replies in order, answering each command
// through its callback. So callers never wait on a socket, and Redis reads many commands per
// system call.
//
// Every command is answered exactly once: with its reply, or with kUnavailable when the queue
// is full, when Redis cannot be reached or the connection breaks (every command sent and not
// yet answered fails then: whether Redis ran it is unknown), or when no reply came within
// timeout_ms. A broken connection is replaced at the next round; a connection Redis closed
// while idle is noticed before a round is sent on it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/protocol.h"
#include "common/result.h"

struct redisContext;

namespace bo::redis {

struct PipelineLimits {
  int timeout_ms = 1000;              // connecting, and a round's write and each reply
  size_t queued_requests_max = 4096;  // waiting for a round; more are refused at once
  size_t batch_requests_max = 256;    // sent in one round
};

// Receives the reply of one command, on the connection's thread. It must be short and must
// not wait for another command of the same connection (it would wait for itself).
using RedisDone = std::function<void(Result<RedisReply>)>;

// A command and what to do with its reply. With `script` set, argv is an EVALSHA of it; if
// Redis does not know the script (NOSCRIPT: a restart, SCRIPT FLUSH), the command is sent
// again as EVAL with the script's text, which also caches it for the next EVALSHA.
struct RedisRequest {
  std::vector<std::string> argv;
  const LuaScript* script = nullptr;  // REQUIRES: outlives the request
  RedisDone done;
};

class PipelinedConnection {
 public:
  // Starts the thread; it connects on the first round.
  PipelinedConnection(RedisEndpoint endpoint, PipelineLimits limits);
  // Answers what is queued (Redis permitting), then stops the thread.
  ~PipelinedConnection();
  PipelinedConnection(const PipelinedConnection&) = delete;
  PipelinedConnection& operator=(const PipelinedConnection&) = delete;

  // Queues `request`; when the queue is full, answers it at once (on the caller's thread)
  // with kUnavailable. REQUIRES: !request.argv.empty(), request.done set.
  void Submit(RedisRequest request);

  // Commands queued and not yet sent.
  size_t queued() const;

 private:
  void Run();
  // Sends `batch` and answers each request; NOSCRIPT replies are appended to `again`.
  void RunRound(std::vector<RedisRequest>& batch, std::vector<RedisRequest>& again);
  // A connection ready for a round, or null with *error set.
  redisContext* Ready(std::string* error);
  void Drop();

  const RedisEndpoint endpoint_;
  const PipelineLimits limits_;
  redisContext* context_ = nullptr;  // owned by the thread

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<RedisRequest> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// Opens a blocking connection with `timeout_ms` for connecting and for every command, and
// SELECTs the endpoint's database; null with *error set if it cannot.
redisContext* OpenRedisContext(const RedisEndpoint& endpoint, int timeout_ms, std::string* error);

}  // namespace bo::redis
