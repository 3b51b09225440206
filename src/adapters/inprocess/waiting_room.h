// The in-process WaitingRoom of the embedded shape: every room in this process's memory, under
// one mutex. Nothing survives a restart: after one, every buyer joins again.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ports/random.h"
#include "ports/waiting_room.h"

namespace bo::inprocess {

// Token slots whose hash buckets are allocated at start (8 bytes each).
inline constexpr std::int64_t kTokensReservedMax = 1'000'000;

struct WaitingRoomOptions {
  std::int64_t waiting_tokens_max = 1'000'000;  // per room: in line and in the pre-queue
  std::int64_t tokens_max = 4'000'000;  // in all rooms, ended ones kept for reading included
  std::int64_t rooms_max = 10'000;
};

class InProcessWaitingRoom final : public WaitingRoom {
 public:
  // REQUIRES: `random` outlives the room; the options are positive.
  explicit InProcessWaitingRoom(Random& random, WaitingRoomOptions options = {});
  ~InProcessWaitingRoom() override;

  Result<WaitingRoomSettings> Configure(std::string_view concert_id, const WaitingRoomSettings& s,
                                        UnixMs now_ms) override;
  Result<JoinOutcome> Join(std::string_view concert_id, std::string_view user_id,
                           UnixMs now_ms) override;
  Result<std::optional<QueueToken>> Find(std::string_view token, UnixMs now_ms) override;
  Result<std::vector<std::optional<QueueToken>>> FindMany(const std::vector<std::string>& tokens,
                                                          UnixMs now_ms) override;
  Result<GateVerdict> Pass(std::string_view concert_id, std::string_view user_id,
                           std::string_view token, UnixMs now_ms) override;
  Result<bool> End(std::string_view concert_id, std::string_view user_id, UnixMs now_ms) override;
  Result<QueueToken> Leave(std::string_view token, std::string_view user_id,
                           UnixMs now_ms) override;
  Result<AdmissionRound> Tick(UnixMs now_ms) override;
  Result<WaitingRoomStats> Stats(UnixMs now_ms) override;
  bool MayGate() override { return rooms_enabled_.load() > 0; }

 private:
  struct Token;
  struct Room;

  // Each REQUIRES mu_ held.
  Room* RoomOf(std::string_view concert_id);
  Token* TokenOf(std::string_view token);
  std::optional<QueueToken> FindLocked(std::string_view token, UnixMs now_ms);
  void OpenIfDue(Room& room, UnixMs now_ms);
  std::int64_t ExpireDue(Room& room, UnixMs now_ms);
  std::int64_t Admit(Room& room, UnixMs now_ms, std::vector<std::int64_t>* waited_ms);
  void Activate(Room& room, Token& token, UnixMs now_ms);
  void Extend(Room& room, Token& token, UnixMs now_ms);
  void EndToken(Room& room, Token& token, UnixMs ended_at_ms);
  void Forget(UnixMs now_ms);
  // `candidate` (drawn before the lock was taken) unless a token has that id already.
  std::string NewTokenId(std::string candidate);
  QueueToken View(const Room& room, const Token& token, UnixMs now_ms) const;
  void CheckInvariants(const Room& room) const;

  Random& random_;
  const WaitingRoomOptions options_;
  std::atomic<int> rooms_enabled_{0};

  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  std::unordered_map<std::string, std::unique_ptr<Token>> tokens_;
  // (concert, user) -> the user's WAITING or ACTIVE token there, for every room at once: one
  // map sized up front, where a map per room would grow (and rehash) with each room's rush.
  std::unordered_map<std::string, Token*> holders_;
  std::deque<std::pair<UnixMs, std::string>> ended_;  // (ended at, token), oldest first
};

}  // namespace bo::inprocess
