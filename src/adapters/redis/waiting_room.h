// The Redis WaitingRoom of the scale-out shape: every room lives in one Redis shared by all
// instances, and every change is one Lua script (adapters/redis/waiting_room_scripts.h), so
// admission is atomic across instances: two instances never admit the same place twice nor
// pass max_active, and positions are one line for all.
//
// What survives a restart of Redis is what Redis keeps: with persistence (AOF or RDB) the
// rooms, lines and tokens come back as last written (the scripts are sent again by the
// instances on their own); without it, everything is gone. Each instance keeps a copy of the
// settings of every room (refreshed every few seconds); an admission round that finds the
// data's epoch changed configures again every room it knows that Redis lost, so the gate
// stays on; buyers join again: a WAITING
// buyer loses the place, an ACTIVE one must queue anew. A restart of an instance loses
// nothing: it holds no state but that copy of the settings.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/redis/call_batcher.h"
#include "adapters/redis/client.h"
#include "ports/random.h"
#include "ports/waiting_room.h"

namespace bo::redis {

struct RedisWaitingRoomOptions {
  std::int64_t waiting_tokens_max = 1'000'000;  // per room: in line and in the pre-queue
  std::int64_t rooms_max = 10'000;
  RedisClientOptions client;
  // Concurrent joins, and concurrent status reads, each go to Redis in batches of one script
  // call (call_batcher.h).
  BatchLimits batches;
};

class RedisWaitingRoom final : public WaitingRoom {
 public:
  // Connects to the Redis of `url` (redis://host[:port][/db]). kInvalidRequest for a bad URL,
  // kUnavailable if Redis does not answer. REQUIRES: `random` outlives the room.
  static Result<std::unique_ptr<RedisWaitingRoom>> Open(std::string_view url, Random& random,
                                                        RedisWaitingRoomOptions options = {});
  // Answers every call in progress (kUnavailable if it was not sent yet).
  ~RedisWaitingRoom() override;

  Result<WaitingRoomSettings> Configure(std::string_view concert_id, const WaitingRoomSettings& s,
                                        UnixMs now_ms) override;
  Result<JoinOutcome> Join(std::string_view concert_id, std::string_view user_id,
                           UnixMs now_ms) override;
  void JoinAsync(std::string concert_id, std::string user_id, UnixMs now_ms,
                 WaitingRoomDone<JoinOutcome> done) override;
  Result<std::optional<QueueToken>> Find(std::string_view token, UnixMs now_ms) override;
  void FindAsync(std::string token, UnixMs now_ms,
                 WaitingRoomDone<std::optional<QueueToken>> done) override;
  Result<std::vector<std::optional<QueueToken>>> FindMany(const std::vector<std::string>& tokens,
                                                          UnixMs now_ms) override;
  Result<GateVerdict> Pass(std::string_view concert_id, std::string_view user_id,
                           std::string_view token, UnixMs now_ms) override;
  void PassAsync(std::string concert_id, std::string user_id, std::string token, UnixMs now_ms,
                 WaitingRoomDone<GateVerdict> done) override;
  Result<bool> End(std::string_view concert_id, std::string_view user_id, UnixMs now_ms) override;
  void EndAsync(std::string concert_id, std::string user_id, UnixMs now_ms,
                WaitingRoomDone<bool> done) override;
  Result<QueueToken> Leave(std::string_view token, std::string_view user_id,
                           UnixMs now_ms) override;
  Result<AdmissionRound> Tick(UnixMs now_ms) override;
  Result<WaitingRoomStats> Stats(UnixMs now_ms) override;
  // Another instance may turn a room on at any time; only Redis can tell.
  bool MayGate() override { return true; }

 private:
  RedisWaitingRoom(std::unique_ptr<RedisClient> client, Random& random,
                   RedisWaitingRoomOptions options);

  struct PendingJoin {
    std::string concert_id;
    std::string user_id;
    UnixMs now_ms = 0;
    int attempts_left = 0;  // a drawn token id that is taken already is drawn again
    WaitingRoomDone<JoinOutcome> done;
  };
  struct PendingFind {
    std::string token;
    UnixMs now_ms = 0;
    WaitingRoomDone<std::optional<QueueToken>> done;
  };

  // Runs `script`; a Redis error reply becomes kInternal unless the caller maps it first.
  Result<RedisReply> Run(const LuaScript& script, std::vector<std::string> args);
  // Queues one attempt at joining for the next batch.
  void SubmitJoin(PendingJoin join);
  // One script call for a batch of joins (of any rooms), then each join's answer.
  void SendJoins(std::vector<PendingJoin> joins, std::function<void()> finished);
  // Answers each join of a batch from the script's reply (a BO_RETRY is queued again).
  void AnswerJoins(std::vector<PendingJoin>& joins, const Result<RedisReply>& reply, UnixMs now_ms);
  // One script call for a batch of status reads, then each one's answer.
  void SendFinds(std::vector<PendingFind> finds, std::function<void()> finished);
  // A seed for a script's shuffle: 1 .. 2^31 - 2.
  std::string Seed();
  // The settings of every room in Redis; nullopt if it cannot tell.
  std::optional<std::map<std::string, WaitingRoomSettings, std::less<>>> RoomsInRedis();
  // Learns the settings of every room (those other instances set included).
  void RefreshSeenRooms();
  // Configures again the rooms this instance has seen that Redis lost (it restarted empty).
  void RestoreLostRooms(UnixMs now_ms);
  Result<WaitingRoomSettings> ConfigureInRedis(std::string_view concert_id,
                                               const WaitingRoomSettings& s, UnixMs now_ms);

  std::unique_ptr<RedisClient> client_;
  Random& random_;
  const RedisWaitingRoomOptions options_;
  const LuaScript configure_, join_, find_, pass_, end_, leave_, tick_, stats_, rooms_;
  // Set by the destructor: batches are answered kUnavailable instead of being sent.
  std::atomic<bool> closing_{false};
  CallBatcher<PendingJoin> joins_;
  CallBatcher<PendingFind> finds_;

  static constexpr int kRefreshEveryTicks = 50;
  std::atomic<std::int64_t> ticks_{0};
  std::mutex seen_mu_;
  // The last settings seen of every room Redis has held (rooms are never removed).
  std::map<std::string, WaitingRoomSettings, std::less<>> seen_;
  // Of the Redis data the rooms were last checked against; none before the first round.
  std::optional<std::string> epoch_;
};

}  // namespace bo::redis
