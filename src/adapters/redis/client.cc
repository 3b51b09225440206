#include "adapters/redis/client.h"

#include <future>

#include "common/assert.h"

namespace bo::redis {
namespace {

Result<RedisReply> Wait(const std::function<void(RedisDone)>& submit) {
  std::promise<Result<RedisReply>> promise;
  std::future<Result<RedisReply>> reply = promise.get_future();
  submit([&promise](Result<RedisReply> r) { promise.set_value(std::move(r)); });
  return reply.get();
}

}  // namespace

RedisClient::RedisClient(const RedisEndpoint& endpoint, RedisClientOptions options) {
  BO_ASSERT(options.connections >= 1);
  const PipelineLimits limits{options.timeout_ms, options.queued_requests_max,
                              options.batch_requests_max};
  for (int i = 0; i < options.connections; ++i) {
    connections_.push_back(std::make_unique<PipelinedConnection>(endpoint, limits));
  }
}

RedisClient::~RedisClient() = default;

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisEndpoint& endpoint,
                                                          RedisClientOptions options) {
  std::unique_ptr<RedisClient> client(new RedisClient(endpoint, options));
  auto pong = client->Command({"PING"});
  if (!pong.ok()) return pong.error();
  if (pong->is_error()) return MakeError(ErrorCode::kUnavailable, "redis: PING: " + pong->text);
  return client;
}

PipelinedConnection& RedisClient::Next() {
  return *connections_[next_.fetch_add(1, std::memory_order_relaxed) % connections_.size()];
}

void RedisClient::Submit(std::vector<std::string> argv, RedisDone done) {
  Next().Submit(RedisRequest{std::move(argv), nullptr, std::move(done)});
}

void RedisClient::SubmitEval(const LuaScript& script, std::vector<std::string> args,
                             RedisDone done) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 3);
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1_hex());
  argv.push_back("0");
  for (std::string& a : args) argv.push_back(std::move(a));
  Next().Submit(RedisRequest{std::move(argv), &script, std::move(done)});
}

Result<RedisReply> RedisClient::Command(std::vector<std::string> argv) {
  return Wait([&](RedisDone done) { Submit(std::move(argv), std::move(done)); });
}

Result<RedisReply> RedisClient::Eval(const LuaScript& script, std::vector<std::string> args) {
  return Wait([&](RedisDone done) { SubmitEval(script, std::move(args), std::move(done)); });
}

}  // namespace bo::redis
