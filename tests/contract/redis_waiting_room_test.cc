// The Redis waiting room against a real redis-server started by the test: the WaitingRoom
// contract, and what only a shared Redis promises: two instances (two adapters on one Redis)
// make one line, never admit one place twice nor pass max_active, and a Redis that restarts
// empty gets its rooms back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "adapters/redis/client.h"
#include "adapters/redis/waiting_room.h"
#include "fakes/redis_server.h"
#include "ports/clock.h"
#include "unit/waiting_room_contract.h"

namespace bo::testing {
namespace {

constexpr UnixMs kStart = 1'790'000'000'000;

// An empty Redis: FLUSHALL on the shared server. False if there is none.
bool FreshRedis() {
  RedisServerProcess* server = RedisServerProcess::Shared();
  if (!server) return false;
  auto client = redis::RedisClient::Connect(redis::RedisEndpoint{"127.0.0.1", server->port(), 0});
  return client.ok() && (*client)->Command({"FLUSHALL"}).ok();
}

std::unique_ptr<redis::RedisWaitingRoom> OpenRoom(Random& random) {
  auto room = redis::RedisWaitingRoom::Open(RedisServerProcess::Shared()->url(), random);
  EXPECT_TRUE(room.ok()) << room.error().detail;
  return room.ok() ? std::move(*room) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Redis, WaitingRoomContract,
                         ::testing::Values(WaitingRoomFactory{
                             "Redis",
                             [](Random& random) -> std::unique_ptr<WaitingRoom> {
                               if (!FreshRedis()) return nullptr;
                               return OpenRoom(random);
                             }}),
                         [](const auto& info) { return info.param.name; });

WaitingRoomSettings On(int admit_per_second, int max_active, int ttl_seconds = 600) {
  WaitingRoomSettings s;
  s.enabled = true;
  s.admit_per_second = admit_per_second;
  s.max_active = max_active;
  s.active_ttl_seconds = ttl_seconds;
  return s;
}

// Two instances of the server: two adapters, each with its own connections, on one Redis.
class TwoInstances : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FreshRedis()) GTEST_SKIP() << "redis-server is not available here";
    a_ = OpenRoom(random_a_);
    b_ = OpenRoom(random_b_);
    ASSERT_TRUE(a_ && b_);
  }

  WaitingRoom& instance(int i) { return i % 2 == 0 ? *a_ : *b_; }

  ManualClock clock_{kStart};
  SeededRandom random_a_{1}, random_b_{2};
  std::unique_ptr<redis::RedisWaitingRoom> a_, b_;
};

TEST_F(TwoInstances, SequentialArrivalsOnEitherInstanceGetOneLine) {
  ASSERT_TRUE(a_->Configure("con_a", On(1, 1), clock_.NowMs()).ok());
  for (int i = 1; i <= 10; ++i) {
    auto j = instance(i).Join("con_a", "u" + std::to_string(i), clock_.NowMs());
    ASSERT_TRUE(j.ok()) << j.error().detail;
    EXPECT_EQ(j->token.position, i);
  }
}

TEST_F(TwoInstances, ConcurrentJoinsGiveOnePlacePerUser) {
  ASSERT_TRUE(a_->Configure("con_a", On(1, 1), clock_.NowMs()).ok());
  constexpr int kUsers = 40;
  constexpr int kThreads = 8;
  std::vector<std::vector<JoinOutcome>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const int user = (i * 7 + t) % kUsers;
        auto j = instance(t).Join("con_a", "u" + std::to_string(user), kStart);
        ASSERT_TRUE(j.ok()) << j.error().detail;
        seen[t].push_back(*j);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, std::string> token_of;
  std::set<std::int64_t> positions;
  int created = 0;
  for (const auto& outcomes : seen) {
    for (const auto& j : outcomes) {
      EXPECT_EQ(token_of.emplace(j.token.user_id, j.token.token).first->second, j.token.token);
      if (j.created) {
        ++created;
        positions.insert(j.token.position);
      }
    }
  }
  EXPECT_EQ(created, kUsers);
  EXPECT_EQ(token_of.size(), static_cast<size_t>(kUsers));
  EXPECT_EQ(positions.size(), static_cast<size_t>(kUsers));
  EXPECT_EQ(*positions.rbegin(), kUsers);
}

TEST_F(TwoInstances, RacingRoundsNeverAdmitAPlaceTwiceNorPassMaxActive) {
  ASSERT_TRUE(a_->Configure("con_a", On(1000, 5), clock_.NowMs()).ok());
  std::vector<std::string> tokens;
  for (int i = 0; i < 60; ++i) {
    tokens.push_back(instance(i).Join("con_a", "u" + std::to_string(i), kStart)->token.token);
  }
  // Both instances run rounds at once, while buyers pay out (ending tokens) on both.
  std::atomic<std::int64_t> admitted{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (UnixMs now = kStart + 1; !stop.load(); now += 7) {
        auto round = instance(t).Tick(now);
        ASSERT_TRUE(round.ok()) << round.error().detail;
        admitted += round->admitted;
      }
    });
  }
  std::set<std::string> ended;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ended.size() < tokens.size() && std::chrono::steady_clock::now() < deadline) {
    auto stats = a_->Stats(kStart);
    ASSERT_TRUE(stats.ok());
    EXPECT_LE(stats->active, 5);
    auto found = b_->FindMany(tokens, kStart);
    ASSERT_TRUE(found.ok());
    for (size_t i = 0; i < tokens.size(); ++i) {
      if ((*found)[i]->status == QueueTokenStatus::kActive && !ended.contains(tokens[i])) {
        ASSERT_TRUE(
            instance(static_cast<int>(i)).End("con_a", "u" + std::to_string(i), kStart).ok());
        ended.insert(tokens[i]);
      }
    }
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(ended.size(), tokens.size());
  EXPECT_EQ(admitted.load(), static_cast<std::int64_t>(tokens.size()));
}

TEST_F(TwoInstances, ARedisThatRestartsEmptyGetsItsRoomsBack) {
  ASSERT_TRUE(a_->Configure("con_a", On(10, 3), clock_.NowMs()).ok());
  const std::string token = b_->Join("con_a", "u1", clock_.NowMs())->token.token;
  ASSERT_TRUE(b_->Tick(clock_.NowMs()).ok());  // b learns the room
  ASSERT_TRUE(RedisServerProcess::Shared()->Restart());

  // Both adapters reconnect on their own, and scripts are sent again.
  auto round = b_->Tick(clock_.NowMs());
  ASSERT_TRUE(round.ok()) << round.error().detail;
  auto gate = a_->Pass("con_a", "u1", "", clock_.NowMs());
  ASSERT_TRUE(gate.ok()) << gate.error().detail;
  EXPECT_EQ(*gate, GateVerdict::kTokenRequired) << "the gate must stay on";
  // The lost token is gone; joining again queues anew.
  EXPECT_FALSE(a_->Find(token, clock_.NowMs())->has_value());
  auto again = a_->Join("con_a", "u1", clock_.NowMs());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->created);
}

TEST_F(TwoInstances, EachInstanceRestoresTheRoomsItKnowsThatRedisLost) {
  // Each instance knows only the room it configured; neither has run a round yet.
  ASSERT_TRUE(a_->Configure("con_a", On(10, 3), clock_.NowMs()).ok());
  ASSERT_TRUE(b_->Configure("con_b", On(10, 3), clock_.NowMs()).ok());
  ASSERT_TRUE(RedisServerProcess::Shared()->Restart());
  ASSERT_TRUE(b_->Tick(clock_.NowMs()).ok());  // restores con_b only: Redis is no longer empty
  ASSERT_TRUE(a_->Tick(clock_.NowMs()).ok());  // still restores con_a
  for (const char* concert : {"con_a", "con_b"}) {
    auto gate = b_->Pass(concert, "u1", "", clock_.NowMs());
    ASSERT_TRUE(gate.ok());
    EXPECT_EQ(*gate, GateVerdict::kTokenRequired) << concert;
  }
}

TEST_F(TwoInstances, ScriptsFlushedFromRedisAreSentAgain) {
  auto client = redis::RedisClient::Connect(
      redis::RedisEndpoint{"127.0.0.1", RedisServerProcess::Shared()->port(), 0});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(a_->Configure("con_a", On(10, 3), clock_.NowMs()).ok());
  ASSERT_TRUE((*client)->Command({"SCRIPT", "FLUSH"}).ok());
  auto j = a_->Join("con_a", "u1", clock_.NowMs());
  ASSERT_TRUE(j.ok()) << j.error().detail;
  EXPECT_EQ(j->token.position, 1);
}

TEST(RedisUrl, ParsesHostPortAndDatabase) {
  auto e = redis::ParseRedisUrl("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 2);
  e = redis::ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 6379);
  e = redis::ParseRedisUrl("redis://[::1]:7000");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  for (const char* bad : {"http://x:1", "redis://", "redis://:6379", "redis://h:0",
                          "redis://h:99999", "redis://h:1/x", "redis://user:pw@h:1"}) {
    EXPECT_EQ(redis::ParseRedisUrl(bad).error().code, ErrorCode::kInvalidRequest) << bad;
  }
}

TEST(RedisWaitingRoom, AnUnreachableRedisIsUnavailable) {
  SeededRandom random(1);
  // Port 1 on loopback: nothing listens there.
  auto room = redis::RedisWaitingRoom::Open("redis://127.0.0.1:1", random);
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace bo::testing
