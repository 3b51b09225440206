#include "adapters/redis/pipelined_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>

#include <memory>

#include "common/assert.h"

namespace bo::redis {
namespace {

Error Unreachable(std::string detail) {
  return MakeError(ErrorCode::kUnavailable, "redis: " + std::move(detail));
}

timeval TimevalOf(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

bool IsNoScript(const redisReply& r) {
  return r.type == REDIS_REPLY_ERROR && std::string_view(r.str, r.len).starts_with("NOSCRIPT");
}

// Whether an idle connection has something to read: with no command outstanding that is the
// end of the stream (Redis closed it: a restart, a timeout of idle clients) or an error.
bool ClosedWhileIdle(const redisContext& c) {
  pollfd p{};
  p.fd = c.fd;
  p.events = POLLIN;
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace

redisContext* OpenRedisContext(const RedisEndpoint& endpoint, int timeout_ms, std::string* error) {
  redisContext* c =
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, TimevalOf(timeout_ms));
  if (c == nullptr || c->err) {
    *error = "cannot connect to " + endpoint.host + ":" + std::to_string(endpoint.port) +
             (c ? ": " + std::string(c->errstr) : "");
    if (c) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, TimevalOf(timeout_ms));
  if (endpoint.db != 0) {
    std::unique_ptr<redisReply, ReplyDeleter> r(
        static_cast<redisReply*>(redisCommand(c, "SELECT %d", endpoint.db)));
    if (!r || r->type != REDIS_REPLY_STATUS) {
      *error = "SELECT " + std::to_string(endpoint.db) + " failed";
      redisFree(c);
      return nullptr;
    }
  }
  return c;
}

PipelinedConnection::PipelinedConnection(RedisEndpoint endpoint, PipelineLimits limits)
    : endpoint_(std::move(endpoint)), limits_(limits) {
  BO_ASSERT(limits_.timeout_ms >= 1 && limits_.queued_requests_max >= 1 &&
            limits_.batch_requests_max >= 1);
  thread_ = std::thread([this] { Run(); });
}

PipelinedConnection::~PipelinedConnection() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  BO_ASSERT(queue_.empty() && context_ == nullptr);
}

void PipelinedConnection::Submit(RedisRequest request) {
  BO_ASSERT(!request.argv.empty() && request.done);
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < limits_.queued_requests_max) {
      was_empty = queue_.empty();
      queue_.push_back(std::move(request));
      request.done = nullptr;
    }
  }
  if (request.done) {
    request.done(Unreachable(std::to_string(limits_.queued_requests_max) +
                             " commands are already waiting for the connection; retry later"));
    return;
  }
  if (was_empty) wake_.notify_one();
}

size_t PipelinedConnection::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void PipelinedConnection::Run() {
  // Writing to a connection Redis closed raises SIGPIPE, whose default ends the process: here
  // it stays pending and the write fails with EPIPE instead, which fails the round.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::vector<RedisRequest> batch;
  std::vector<RedisRequest> again;  // NOSCRIPT: sent again as EVAL, first in the next round
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !again.empty(); });
      if (queue_.empty() && again.empty()) break;  // stopping, and nothing is left to answer
      batch.swap(again);
      while (!queue_.empty() && batch.size() < limits_.batch_requests_max) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunRound(batch, again);
    batch.clear();
  }
  Drop();
}

redisContext* PipelinedConnection::Ready(std::string* error) {
  if (context_ && ClosedWhileIdle(*context_)) Drop();
  if (!context_) context_ = OpenRedisContext(endpoint_, limits_.timeout_ms, error);
  return context_;
}

void PipelinedConnection::Drop() {
  if (context_) redisFree(context_);
  context_ = nullptr;
}

void PipelinedConnection::RunRound(std::vector<RedisRequest>& batch,
                                   std::vector<RedisRequest>& again) {
  std::string error;
  size_t answered = 0;
  if (redisContext* c = Ready(&error)) {
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const RedisRequest& r : batch) {
      args.clear();
      lengths.clear();
      for (const std::string& a : r.argv) {
        args.push_back(a.data());
        lengths.push_back(a.size());
      }
      // Fails only when out of memory; then the round fails below like a broken connection.
      redisAppendCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data());
    }
    // The first read sends everything appended, in as few writes as the socket takes.
    for (; answered < batch.size(); ++answered) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
        error =
            batch[answered].argv[0] + ": " + (c->errstr[0] ? std::string(c->errstr) : "no reply");
        Drop();
        break;
      }
      const std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
      RedisRequest& r = batch[answered];
      if (r.script && IsNoScript(*reply)) {
        r.argv[0] = "EVAL";
        r.argv[1] = r.script->text();
        r.script = nullptr;
        again.push_back(std::move(r));
        continue;
      }
      r.done(CopyReply(*reply));
    }
  }
  // Sent and not answered (or never sent): whether Redis ran them is unknown.
  for (size_t i = answered; i < batch.size(); ++i) batch[i].done(Unreachable(error));
}

}  // namespace bo::redis
