// What only the in-process adapter promises: its bounds, and safety under threads.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>
#include <vector>

#include "adapters/inprocess/waiting_room.h"
#include "ports/clock.h"

namespace bo::inprocess {
namespace {

constexpr UnixMs kStart = 1'790'000'000'000;

WaitingRoomSettings On(int admit_per_second, int max_active) {
  WaitingRoomSettings s;
  s.enabled = true;
  s.admit_per_second = admit_per_second;
  s.max_active = max_active;
  s.active_ttl_seconds = 60;
  return s;
}

TEST(InProcessWaitingRoom, RefusesJoinsBeyondItsWaitingTokensMax) {
  SeededRandom random(1);
  InProcessWaitingRoom room(random, WaitingRoomOptions{3, 100, 10});
  ASSERT_TRUE(room.Configure("con_a", On(1, 1), kStart).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(room.Join("con_a", "u" + std::to_string(i), kStart).ok());
  auto full = room.Join("con_a", "u3", kStart);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kUnavailable);
  // The ones already in line still get their own place back.
  EXPECT_FALSE(room.Join("con_a", "u1", kStart)->created);
  // Admission makes room.
  ASSERT_TRUE(room.Tick(kStart + 1000).ok());
  EXPECT_TRUE(room.Join("con_a", "u3", kStart + 1000).ok());
}

TEST(InProcessWaitingRoom, RefusesRoomsBeyondItsRoomsMax) {
  SeededRandom random(1);
  InProcessWaitingRoom room(random, WaitingRoomOptions{10, 100, 2});
  ASSERT_TRUE(room.Configure("con_a", On(1, 1), kStart).ok());
  ASSERT_TRUE(room.Configure("con_b", On(1, 1), kStart).ok());
  EXPECT_EQ(room.Configure("con_c", On(1, 1), kStart).error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(room.Configure("con_a", On(2, 2), kStart).ok());  // reconfiguring is fine
}

TEST(InProcessWaitingRoom, ForgetsTheOldestEndedTokensWhenAtTokensMax) {
  SeededRandom random(1);
  InProcessWaitingRoom room(random, WaitingRoomOptions{10, 2, 10});
  ASSERT_TRUE(room.Configure("con_a", On(100, 10), kStart).ok());
  const std::string first = room.Join("con_a", "u1", kStart)->token.token;
  ASSERT_TRUE(room.Tick(kStart + 100).ok());
  ASSERT_TRUE(room.End("con_a", "u1", kStart + 100).ok());
  ASSERT_TRUE(room.Join("con_a", "u2", kStart + 100).ok());
  // Two tokens held; the ended one gives way to a new one.
  ASSERT_TRUE(room.Join("con_a", "u3", kStart + 100).ok());
  EXPECT_FALSE(room.Find(first, kStart + 100)->has_value());
  EXPECT_EQ(room.Join("con_a", "u4", kStart + 100).error().code, ErrorCode::kUnavailable);
}

TEST(InProcessWaitingRoom, ConcurrentJoinsGiveOnePlacePerUserAndDistinctPositions) {
  SeededRandom random(3);
  InProcessWaitingRoom room(random);
  ASSERT_TRUE(room.Configure("con_a", On(1, 1), kStart).ok());
  constexpr int kThreads = 8;
  constexpr int kUsers = 50;
  std::vector<std::vector<JoinOutcome>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int u = 0; u < kUsers; ++u) {
        auto j = room.Join("con_a", "u" + std::to_string((u + t * 7) % kUsers), kStart);
        ASSERT_TRUE(j.ok());
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
      auto [it, inserted] = token_of.emplace(j.token.user_id, j.token.token);
      EXPECT_EQ(it->second, j.token.token);
      created += j.created;
      if (j.created) positions.insert(j.token.position);
    }
  }
  EXPECT_EQ(token_of.size(), static_cast<size_t>(kUsers));
  EXPECT_EQ(created, kUsers);
  EXPECT_EQ(positions.size(), static_cast<size_t>(kUsers));
  EXPECT_EQ(*positions.begin(), 1);
  EXPECT_EQ(*positions.rbegin(), kUsers);
}

TEST(InProcessWaitingRoom, TokensAreUnguessableHexOfTheirOwnShape) {
  SeededRandom random(5);
  InProcessWaitingRoom room(random);
  ASSERT_TRUE(room.Configure("con_a", On(1, 1), kStart).ok());
  const std::string token = room.Join("con_a", "u1", kStart)->token.token;
  ASSERT_EQ(token.size(), 3u + 32u);
  EXPECT_EQ(token.substr(0, 3), "qt_");
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef", 3), std::string::npos);
  EXPECT_LE(token.size(), kQueueTokenBytesMax);
}

}  // namespace
}  // namespace bo::inprocess
