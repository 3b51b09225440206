// The Redis waiting room against a real redis-server started by the test: the WaitingRoom
// contract, and what only a shared Redis promises: two instances (two adapters on one Redis)
// make one line, never admit one place twice nor pass max_active, and a Redis that restarts
// empty gets its rooms back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
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

std::unique_ptr<redis::RedisWaitingRoom> OpenRoom(Random& random,
                                                  redis::RedisWaitingRoomOptions options = {}) {
  auto room = redis::RedisWaitingRoom::Open(RedisServerProcess::Shared()->url(), random, options);
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

// Concurrent calls of one instance go to Redis in batches (one script call each): calls made
// without waiting pile up while one batch is out.
class Batches : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FreshRedis()) GTEST_SKIP() << "redis-server is not available here";
    redis::RedisWaitingRoomOptions options;
    options.waiting_tokens_max = 50;
    options.batches.in_flight_max = 1;  // all but the first of a burst wait for one batch
    room_ = OpenRoom(random_, options);
    ASSERT_TRUE(room_);
  }

  // Joins without waiting, then waits for every answer (in the order asked).
  std::vector<Result<JoinOutcome>> JoinAll(
      const std::vector<std::pair<std::string, std::string>>& concert_user) {
    std::vector<std::promise<Result<JoinOutcome>>> answers(concert_user.size());
    for (size_t i = 0; i < concert_user.size(); ++i) {
      room_->JoinAsync(
          concert_user[i].first, concert_user[i].second, kStart,
          [&answers, i](Result<JoinOutcome> r) { answers[i].set_value(std::move(r)); });
    }
    std::vector<Result<JoinOutcome>> out;
    for (auto& a : answers) out.push_back(a.get_future().get());
    return out;
  }

  SeededRandom random_{3};
  std::unique_ptr<redis::RedisWaitingRoom> room_;
};

TEST_F(Batches, JoinsSentTogetherGetExactDistinctPlacesInTheOrderAsked) {
  ASSERT_TRUE(room_->Configure("con_a", On(1, 1), kStart).ok());
  std::vector<std::pair<std::string, std::string>> joins;
  for (int i = 0; i < 40; ++i) joins.emplace_back("con_a", "u" + std::to_string(i));
  const auto answers = JoinAll(joins);
  std::set<std::string> tokens;
  for (size_t i = 0; i < answers.size(); ++i) {
    ASSERT_TRUE(answers[i].ok()) << answers[i].error().detail;
    EXPECT_TRUE(answers[i]->created);
    EXPECT_EQ(answers[i]->token.position, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(answers[i]->token.user_id, joins[i].second);
    EXPECT_EQ(answers[i]->token.status, QueueTokenStatus::kWaiting);
    tokens.insert(answers[i]->token.token);
    // What a read shows afterwards is what the join answered.
    auto read = room_->Find(answers[i]->token.token, kStart);
    ASSERT_TRUE(read.ok() && read->has_value());
    EXPECT_EQ((*read)->position, answers[i]->token.position);
  }
  EXPECT_EQ(tokens.size(), joins.size());
}

TEST_F(Batches, ManyThreadsJoiningAtOnceGetOnePlaceEachAndNoGap) {
  ASSERT_TRUE(room_->Configure("con_a", On(1, 1), kStart).ok());
  constexpr int kThreads = 4, kEach = 12;
  std::vector<std::vector<Result<JoinOutcome>>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<std::string, std::string>> joins;
      for (int i = 0; i < kEach; ++i) {
        joins.emplace_back("con_a", "t" + std::to_string(t) + "u" + std::to_string(i));
      }
      seen[t] = JoinAll(joins);
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::int64_t> positions;
  for (const auto& answers : seen) {
    std::int64_t last = 0;
    for (const auto& a : answers) {
      ASSERT_TRUE(a.ok()) << a.error().detail;
      EXPECT_TRUE(a->created);
      EXPECT_GT(a->token.position, last) << "one thread's joins keep their order";
      last = a->token.position;
      positions.insert(a->token.position);
    }
  }
  EXPECT_EQ(positions.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*positions.begin(), 1);
  EXPECT_EQ(*positions.rbegin(), kThreads * kEach);
}

TEST_F(Batches, AJoinThatFailsDoesNotFailTheOthersOfItsBatch) {
  ASSERT_TRUE(room_->Configure("con_a", On(1, 1), kStart).ok());
  WaitingRoomSettings off = On(1, 1);
  off.enabled = false;
  ASSERT_TRUE(room_->Configure("con_off", off, kStart).ok());
  // 48 places taken first, so that con_a has 2 left of waiting_tokens_max (50).
  std::vector<std::pair<std::string, std::string>> first;
  for (int i = 0; i < 48; ++i) first.emplace_back("con_a", "early" + std::to_string(i));
  for (const auto& a : JoinAll(first)) ASSERT_TRUE(a.ok());

  const auto answers = JoinAll({{"con_a", "early0"},  // holds a place already
                                {"con_off", "u1"},
                                {"con_a", "u1"},
                                {"con_none", "u2"},
                                {"con_a", "u2"},
                                {"con_a", "u3"},  // the line is full now
                                {"con_a", "u1"}});
  ASSERT_EQ(answers.size(), 7u);
  ASSERT_TRUE(answers[0].ok());
  EXPECT_FALSE(answers[0]->created);
  EXPECT_EQ(answers[0]->token.position, 1);
  EXPECT_EQ(answers[1].error().code, ErrorCode::kInvalidState);
  ASSERT_TRUE(answers[2].ok()) << answers[2].error().detail;
  EXPECT_TRUE(answers[2]->created);
  EXPECT_EQ(answers[2]->token.position, 49);
  EXPECT_EQ(answers[3].error().code, ErrorCode::kInvalidState);
  ASSERT_TRUE(answers[4].ok()) << answers[4].error().detail;
  EXPECT_EQ(answers[4]->token.position, 50);
  EXPECT_EQ(answers[5].error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(answers[6].ok());
  EXPECT_FALSE(answers[6]->created);
  EXPECT_EQ(answers[6]->token.token, answers[2]->token.token);
}

TEST_F(Batches, JoinsBeforeTheSaleOpensEachSeeThePreQueueAsTheyJoinedIt) {
  WaitingRoomSettings later = On(1, 1);
  later.opens_at_ms = kStart + 60'000;
  ASSERT_TRUE(room_->Configure("con_a", later, kStart).ok());
  const auto answers =
      JoinAll({{"con_a", "u1"}, {"con_a", "u2"}, {"con_a", "u3"}, {"con_a", "u1"}});
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(answers[i].ok()) << answers[i].error().detail;
    EXPECT_TRUE(answers[i]->token.in_pre_queue);
    EXPECT_EQ(answers[i]->token.position, static_cast<std::int64_t>(i + 1));
  }
  ASSERT_TRUE(answers[3].ok());
  EXPECT_FALSE(answers[3]->created);
  EXPECT_EQ(answers[3]->token.position, 3);  // the pre-queue's size when it asked
}

TEST_F(Batches, ReadsSentTogetherEachGetTheirOwnToken) {
  ASSERT_TRUE(room_->Configure("con_a", On(1, 1), kStart).ok());
  std::vector<std::pair<std::string, std::string>> joins;
  for (int i = 0; i < 30; ++i) joins.emplace_back("con_a", "u" + std::to_string(i));
  std::vector<std::string> tokens;
  for (const auto& a : JoinAll(joins)) tokens.push_back(a->token.token);
  tokens.push_back("qt_unknown");
  std::vector<std::promise<Result<std::optional<QueueToken>>>> answers(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    room_->FindAsync(tokens[i], kStart, [&answers, i](Result<std::optional<QueueToken>> r) {
      answers[i].set_value(std::move(r));
    });
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    auto found = answers[i].get_future().get();
    ASSERT_TRUE(found.ok()) << found.error().detail;
    if (i + 1 == tokens.size()) {
      EXPECT_FALSE(found->has_value());
      continue;
    }
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->token, tokens[i]);
    EXPECT_EQ((*found)->position, static_cast<std::int64_t>(i + 1));
  }
}

TEST(RedisWaitingRoom, ATokenIdDrawnTwiceIsDrawnAgain) {
  if (!FreshRedis()) GTEST_SKIP() << "redis-server is not available here";
  // Two instances with one seed draw the same ids in the same order.
  SeededRandom random_a(9), random_b(9);
  auto a = OpenRoom(random_a);
  auto b = OpenRoom(random_b);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Configure("con_a", On(1, 1), kStart).ok());
  ASSERT_TRUE(b->Configure("con_a", On(1, 1), kStart).ok());
  auto first = a->Join("con_a", "u1", kStart);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  auto second = b->Join("con_a", "u2", kStart);
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_TRUE(second->created);
  EXPECT_NE(second->token.token, first->token.token);
  EXPECT_EQ(second->token.position, 2);
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
