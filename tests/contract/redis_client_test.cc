// The pipelined Redis client against a real redis-server started by the test: commands of many
// threads share few connections and each gets its own reply; a full queue refuses at once; a
// Redis killed with commands in flight fails every one of them, and the client connects again
// once Redis is back.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/client.h"
#include "fakes/redis_server.h"

namespace bo::testing {
namespace {

using redis::RedisClient;
using redis::RedisClientOptions;
using redis::RedisEndpoint;
using redis::RedisReply;

// A script that runs until SCRIPT KILL (or the server's end): holds its connection's round.
const redis::LuaScript kSpin("while true do end");

RedisEndpoint Endpoint() {
  return RedisEndpoint{"127.0.0.1", RedisServerProcess::Shared()->port()};
}

std::unique_ptr<RedisClient> Connect(RedisClientOptions options) {
  auto client = RedisClient::Connect(Endpoint(), options);
  EXPECT_TRUE(client.ok()) << client.error().detail;
  return client.ok() ? std::move(*client) : nullptr;
}

// While a script runs past Redis's busy threshold, other connections are answered BUSY (and
// may SCRIPT KILL it): how the tests tell that a spinning script holds its connection.
void SetBusyThresholdMs(RedisClient& other, int ms) {
  ASSERT_TRUE(other.Command({"CONFIG", "SET", "lua-time-limit", std::to_string(ms)}).ok());
}

// Waits until a script runs past the busy threshold.
void AwaitBusy(RedisClient& other) {
  while (!other.Command({"PING"})->is_error()) {
  }
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(RedisServerProcess::Shared(), nullptr) << "redis-server cannot be started here";
  }
};

TEST_F(RedisClientTest, CommandsOfManyThreadsEachGetTheirOwnReply) {
  RedisClientOptions options;
  options.connections = 2;
  options.queued_requests_max = 100'000;  // every command of the test fits
  auto client = Connect(options);
  ASSERT_TRUE(client);
  constexpr int kThreads = 8;
  constexpr int kCommandsPerThread = 2'000;
  std::latch answered(kThreads * kCommandsPerThread);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommandsPerThread; ++i) {
        std::string payload = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (i % 10 == 0) {  // some callers wait for their reply
          auto reply = client->Command({"ECHO", payload});
          if (!reply.ok() || reply->text != payload) ++wrong;
          answered.count_down();
          continue;
        }
        client->Submit({"ECHO", payload}, [&, payload](Result<RedisReply> reply) {
          if (!reply.ok() || reply->text != payload) ++wrong;
          answered.count_down();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  answered.wait();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(RedisClientTest, ScriptsRunByShaAreSentInFullWhenRedisDoesNotKnowThem) {
  auto client = Connect({});
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Command({"SCRIPT", "FLUSH"}).ok());
  const redis::LuaScript script("return ARGV[1] .. '!'");
  for (int i = 0; i < 3; ++i) {  // EVAL first, then EVALSHA of the cached script
    auto reply = client->Eval(script, {"hi"});
    ASSERT_TRUE(reply.ok()) << reply.error().detail;
    EXPECT_EQ(reply->text, "hi!");
  }
}

TEST_F(RedisClientTest, AFullQueueRefusesAtOnceAndTheRestIsAnswered) {
  RedisClientOptions options;
  options.connections = 1;
  options.queued_requests_max = 2;
  options.batch_requests_max = 1;
  auto client = Connect(options);
  auto other = Connect({});
  ASSERT_TRUE(client && other);
  SetBusyThresholdMs(*other, 10);

  std::latch spun(1);
  Result<RedisReply> spin = RedisReply{};
  client->SubmitEval(kSpin, {}, [&](Result<RedisReply> r) {
    spin = std::move(r);
    spun.count_down();
  });
  AwaitBusy(*other);  // the spin holds the only connection
  std::latch queued(2);
  std::vector<Result<RedisReply>> replies(3, RedisReply{});
  for (int i = 0; i < 3; ++i) {
    client->Submit({"ECHO", std::to_string(i)}, [&, i](Result<RedisReply> r) {
      replies[i] = std::move(r);
      if (i < 2) queued.count_down();
    });
  }
  // The third found the queue full and was answered on this thread, before Submit returned.
  ASSERT_FALSE(replies[2].ok());
  EXPECT_EQ(replies[2].error().code, ErrorCode::kUnavailable);

  ASSERT_TRUE(other->Command({"SCRIPT", "KILL"}).ok());
  spun.wait();
  queued.wait();
  ASSERT_TRUE(spin.ok());  // Redis answered the killed script with an error reply
  EXPECT_TRUE(spin->is_error());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(replies[i].ok()) << replies[i].error().detail;
    EXPECT_EQ(replies[i]->text, std::to_string(i));
  }
  SetBusyThresholdMs(*other, 5000);  // Redis's default, for the tests that follow
}

TEST_F(RedisClientTest, ARedisKilledMidFlightFailsEveryPendingCommandAndIsReconnected) {
  // One connection: while its spinning script runs, every later command waits behind it (on
  // another connection, Redis would answer them BUSY at once).
  RedisClientOptions options;
  options.connections = 1;
  options.queued_requests_max = 100'000;
  auto client = Connect(options);
  auto other = Connect({});
  ASSERT_TRUE(client && other);
  SetBusyThresholdMs(*other, 10);  // the restarted server has the default again

  constexpr int kThreads = 4;
  constexpr int kCommandsPerThread = 500;
  constexpr int kPending = 1 + kThreads * kCommandsPerThread;
  std::latch answered(kPending);
  std::atomic<int> failed{0};
  std::mutex mu;
  std::vector<std::string> unexpected;
  auto expect_failure = [&](Result<RedisReply> r) {
    if (!r.ok() && r.error().code == ErrorCode::kUnavailable) {
      ++failed;
    } else {
      std::lock_guard lock(mu);
      unexpected.push_back(r.ok() ? "a reply: " + r->text : r.error().detail);
    }
    answered.count_down();
  };
  client->SubmitEval(kSpin, {}, expect_failure);
  AwaitBusy(*other);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCommandsPerThread; ++i) client->Submit({"PING"}, expect_failure);
    });
  }
  for (auto& t : threads) t.join();
  other.reset();
  RedisServerProcess::Shared()->Kill();

  answered.wait();  // no command is left unanswered
  EXPECT_EQ(failed.load(), kPending);
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();

  ASSERT_TRUE(RedisServerProcess::Shared()->Start());
  for (int i = 0; i < 3; ++i) {  // on a new connection
    auto pong = client->Command({"PING"});
    ASSERT_TRUE(pong.ok()) << pong.error().detail;
    EXPECT_EQ(pong->text, "PONG");
  }
}

}  // namespace
}  // namespace bo::testing
