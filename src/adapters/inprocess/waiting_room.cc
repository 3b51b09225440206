#include "adapters/inprocess/waiting_room.h"

#include <algorithm>

#include "common/assert.h"

namespace bo::inprocess {
namespace {

// The key of holders_: the concert id's length first, so that no two pairs share a key.
std::string HolderKey(std::string_view concert_id, std::string_view user_id) {
  std::string key = std::to_string(concert_id.size());
  key.push_back(':');
  key.append(concert_id).append(user_id);
  return key;
}

}  // namespace

// StoredQueueToken's `token` is its id.
struct InProcessWaitingRoom::Token : StoredQueueToken {
  UnixMs joined_at_ms = 0;
  std::multimap<UnixMs, Token*>::iterator active_entry;  // valid while ACTIVE
};

struct InProcessWaitingRoom::Room {
  std::string concert_id;
  WaitingRoomSettings settings;
  bool opened = false;
  UnixMs opened_at_ms = 0;
  TokenBucket bucket;  // counts from the opening
  ReleaseRate releases;
  std::int64_t last_seq = 0;      // seq of the last token placed in line
  std::int64_t served_seq = 0;    // seq of the last token admitted
  std::deque<Token*> line;        // WAITING tokens in seq order: line[i]->seq == served_seq + 1 + i
  std::vector<Token*> pre_queue;  // WAITING, no place drawn yet
  std::multimap<UnixMs, Token*> active;  // ACTIVE tokens by expiry
  std::int64_t holders = 0;              // users with a WAITING or ACTIVE token (holders_)

  std::int64_t waiting() const { return static_cast<std::int64_t>(line.size() + pre_queue.size()); }
};

InProcessWaitingRoom::InProcessWaitingRoom(Random& random, WaitingRoomOptions options)
    : random_(random), options_(options) {
  BO_ASSERT(options_.waiting_tokens_max > 0 && options_.tokens_max > 0 && options_.rooms_max > 0);
  // Growing a map of hundreds of thousands of tokens rehashes it under the lock every join
  // waits for; the buckets of a sale's first rush are made up front instead.
  tokens_.reserve(static_cast<size_t>(std::min(options_.tokens_max, kTokensReservedMax)));
  holders_.reserve(static_cast<size_t>(std::min(options_.tokens_max, kTokensReservedMax)));
}

InProcessWaitingRoom::~InProcessWaitingRoom() = default;

InProcessWaitingRoom::Room* InProcessWaitingRoom::RoomOf(std::string_view concert_id) {
  auto it = rooms_.find(std::string(concert_id));
  return it == rooms_.end() ? nullptr : it->second.get();
}

InProcessWaitingRoom::Token* InProcessWaitingRoom::TokenOf(std::string_view token) {
  auto it = tokens_.find(std::string(token));
  return it == tokens_.end() ? nullptr : it->second.get();
}

void InProcessWaitingRoom::CheckInvariants(const Room& room) const {
  BO_ASSERT(room.served_seq + static_cast<std::int64_t>(room.line.size()) == room.last_seq);
  BO_ASSERT(room.line.empty() || room.line.front()->seq == room.served_seq + 1);
  BO_ASSERT(!room.opened || room.pre_queue.empty());
  BO_ASSERT(room.waiting() + static_cast<std::int64_t>(room.active.size()) == room.holders);
}

std::string InProcessWaitingRoom::NewTokenId(std::string candidate) {
  while (tokens_.contains(candidate)) candidate = NewQueueTokenId(random_);
  return candidate;
}

void InProcessWaitingRoom::OpenIfDue(Room& room, UnixMs now_ms) {
  const auto& opens_at = room.settings.opens_at_ms;
  if (room.opened || (opens_at && *opens_at > now_ms)) return;
  // The pre-queue is drawn once, uniformly, and placed after the line already formed.
  ShuffleUniformly(room.pre_queue, [this](std::uint64_t n) { return random_.Below(n); });
  for (Token* t : room.pre_queue) {
    t->seq = ++room.last_seq;
    room.line.push_back(t);
  }
  room.pre_queue.clear();
  room.opened = true;
  room.opened_at_ms = opens_at ? *opens_at : now_ms;
  room.bucket = TokenBucket{0, room.opened_at_ms};
  CheckInvariants(room);
}

void InProcessWaitingRoom::EndToken(Room& room, Token& token, UnixMs ended_at_ms) {
  BO_ASSERT(token.status == QueueTokenStatus::kActive);
  room.active.erase(token.active_entry);
  token.status = QueueTokenStatus::kExpired;
  token.expires_at_ms = ended_at_ms;
  auto holder = holders_.find(HolderKey(room.concert_id, token.user_id));
  BO_ASSERT(holder != holders_.end() && holder->second == &token);
  holders_.erase(holder);
  --room.holders;
  ended_.emplace_back(ended_at_ms, token.token);
}

std::int64_t InProcessWaitingRoom::ExpireDue(Room& room, UnixMs now_ms) {
  std::int64_t expired = 0;
  while (!room.active.empty() && room.active.begin()->first <= now_ms) {
    Token& token = *room.active.begin()->second;
    EndToken(room, token, token.expires_at_ms);
    ++expired;
  }
  if (expired > 0) room.releases = RecordReleases(room.releases, expired, now_ms);
  return expired;
}

void InProcessWaitingRoom::Activate(Room& room, Token& token, UnixMs now_ms) {
  BO_ASSERT(token.status == QueueTokenStatus::kWaiting && token.seq == room.served_seq + 1);
  token.status = QueueTokenStatus::kActive;
  token.expires_at_ms = ActiveExpiresAt(room.settings, now_ms);
  token.active_entry = room.active.emplace(token.expires_at_ms, &token);
  room.served_seq = token.seq;
}

void InProcessWaitingRoom::Extend(Room& room, Token& token, UnixMs now_ms) {
  BO_ASSERT(token.status == QueueTokenStatus::kActive);
  room.active.erase(token.active_entry);
  token.expires_at_ms = std::max(token.expires_at_ms, ActiveExpiresAt(room.settings, now_ms));
  token.active_entry = room.active.emplace(token.expires_at_ms, &token);
}

std::int64_t InProcessWaitingRoom::Admit(Room& room, UnixMs now_ms,
                                         std::vector<std::int64_t>* waited_ms) {
  if (!room.settings.enabled || !room.opened) return 0;
  const std::int64_t active_before = static_cast<std::int64_t>(room.active.size());
  room.bucket = FillBucket(room.bucket, AdmissionLimits(room.settings), now_ms);
  const std::int64_t due = AdmissionsDue(room.settings, room.bucket, active_before,
                                         static_cast<std::int64_t>(room.line.size()));
  room.bucket = SpendTokens(room.bucket, due);
  for (std::int64_t i = 0; i < due; ++i) {
    Token* token = room.line.front();
    room.line.pop_front();
    Activate(room, *token, now_ms);
    if (waited_ms) waited_ms->push_back(WaitedMs(token->joined_at_ms, room.opened_at_ms, now_ms));
  }
  // Admission never fills the room past max_active (a lowered max_active only stops it).
  BO_ASSERT(due == 0 || static_cast<std::int64_t>(room.active.size()) <= room.settings.max_active);
  CheckInvariants(room);
  return due;
}

void InProcessWaitingRoom::Forget(UnixMs now_ms) {
  while (!ended_.empty() && (ended_.front().first + kEndedTokenRetentionMs <= now_ms ||
                             static_cast<std::int64_t>(tokens_.size()) >= options_.tokens_max)) {
    auto it = tokens_.find(ended_.front().second);
    BO_ASSERT(it != tokens_.end() && it->second->status == QueueTokenStatus::kExpired);
    tokens_.erase(it);
    ended_.pop_front();
  }
}

QueueToken InProcessWaitingRoom::View(const Room& room, const Token& token, UnixMs now_ms) const {
  RoomSnapshot snapshot;
  snapshot.settings = room.settings;
  snapshot.opened = room.opened;
  snapshot.bucket = room.bucket;
  snapshot.releases = room.releases;
  snapshot.served_seq = room.served_seq;
  snapshot.pre_queue_size = static_cast<std::int64_t>(room.pre_queue.size());
  snapshot.active = static_cast<std::int64_t>(room.active.size());
  return PresentQueueToken(token, snapshot, now_ms);
}

Result<WaitingRoomSettings> InProcessWaitingRoom::Configure(std::string_view concert_id,
                                                            const WaitingRoomSettings& s,
                                                            UnixMs now_ms) {
  BO_ASSERT(ValidateWaitingRoomSettings(s, now_ms).ok());
  std::lock_guard lock(mu_);
  Room* room = RoomOf(concert_id);
  if (!room) {
    if (static_cast<std::int64_t>(rooms_.size()) >= options_.rooms_max) {
      return MakeError(ErrorCode::kUnavailable, "no room for another waiting room (" +
                                                    std::to_string(options_.rooms_max) + " exist)");
    }
    auto created = std::make_unique<Room>();
    created->concert_id = std::string(concert_id);
    created->releases = InitialReleaseRate(s, now_ms);
    room = created.get();
    rooms_.emplace(std::string(concert_id), std::move(created));
  }
  if (room->settings.enabled != s.enabled) rooms_enabled_ += s.enabled ? 1 : -1;
  ExpireDue(*room, now_ms);
  room->settings = s;
  // A sale that opens later pauses admission until then; who joins meanwhile is drawn then.
  if (s.opens_at_ms && *s.opens_at_ms > now_ms) room->opened = false;
  OpenIfDue(*room, now_ms);
  CheckInvariants(*room);
  return room->settings;
}

Result<JoinOutcome> InProcessWaitingRoom::Join(std::string_view concert_id,
                                               std::string_view user_id, UnixMs now_ms) {
  // What needs no lock is done before taking it, so that every join waits less for the others.
  std::string holder_key = HolderKey(concert_id, user_id);
  std::string candidate = NewQueueTokenId(random_);
  std::lock_guard lock(mu_);
  Room* room = RoomOf(concert_id);
  if (!room || !room->settings.enabled) {
    return MakeError(ErrorCode::kInvalidState, "the waiting room of concert " +
                                                   std::string(concert_id) +
                                                   " is off; no queue token is needed");
  }
  ExpireDue(*room, now_ms);
  OpenIfDue(*room, now_ms);
  if (auto held = holders_.find(holder_key); held != holders_.end()) {
    return JoinOutcome{View(*room, *held->second, now_ms), false};
  }
  if (room->waiting() >= options_.waiting_tokens_max) {
    return MakeError(ErrorCode::kUnavailable, "the waiting room of concert " +
                                                  std::string(concert_id) + " is full (" +
                                                  std::to_string(room->waiting()) + " waiting)");
  }
  Forget(now_ms);
  if (static_cast<std::int64_t>(tokens_.size()) >= options_.tokens_max) {
    return MakeError(ErrorCode::kUnavailable, "the waiting rooms hold their most tokens");
  }
  auto token = std::make_unique<Token>();
  token->token = NewTokenId(std::move(candidate));
  token->concert_id = std::string(concert_id);
  token->user_id = std::string(user_id);
  token->joined_at_ms = now_ms;
  Token* t = token.get();
  tokens_.emplace(t->token, std::move(token));
  if (room->opened) {
    t->seq = ++room->last_seq;
    room->line.push_back(t);
  } else {
    room->pre_queue.push_back(t);
  }
  holders_.emplace(std::move(holder_key), t);
  ++room->holders;
  CheckInvariants(*room);
  return JoinOutcome{View(*room, *t, now_ms), true};
}

std::optional<QueueToken> InProcessWaitingRoom::FindLocked(std::string_view token, UnixMs now_ms) {
  Token* t = TokenOf(token);
  if (!t) return std::nullopt;
  Room* room = RoomOf(t->concert_id);
  BO_ASSERT(room != nullptr);
  OpenIfDue(*room, now_ms);
  return View(*room, *t, now_ms);
}

Result<std::optional<QueueToken>> InProcessWaitingRoom::Find(std::string_view token,
                                                             UnixMs now_ms) {
  std::lock_guard lock(mu_);
  return FindLocked(token, now_ms);
}

Result<std::vector<std::optional<QueueToken>>> InProcessWaitingRoom::FindMany(
    const std::vector<std::string>& tokens, UnixMs now_ms) {
  std::lock_guard lock(mu_);
  std::vector<std::optional<QueueToken>> found;
  found.reserve(tokens.size());
  for (const auto& token : tokens) found.push_back(FindLocked(token, now_ms));
  return found;
}

Result<GateVerdict> InProcessWaitingRoom::Pass(std::string_view concert_id,
                                               std::string_view user_id, std::string_view token,
                                               UnixMs now_ms) {
  std::lock_guard lock(mu_);
  Room* room = RoomOf(concert_id);
  if (!room || !room->settings.enabled) return GateVerdict::kRoomOff;
  if (token.empty()) return GateVerdict::kTokenRequired;
  Token* t = TokenOf(token);
  if (!t || t->concert_id != concert_id || t->user_id != user_id ||
      t->status != QueueTokenStatus::kActive || t->expires_at_ms <= now_ms) {
    return GateVerdict::kTokenNotActive;
  }
  Extend(*room, *t, now_ms);
  return GateVerdict::kPassed;
}

Result<bool> InProcessWaitingRoom::End(std::string_view concert_id, std::string_view user_id,
                                       UnixMs now_ms) {
  std::lock_guard lock(mu_);
  Room* room = RoomOf(concert_id);
  if (!room) return false;
  ExpireDue(*room, now_ms);
  auto held = holders_.find(HolderKey(concert_id, user_id));
  if (held == holders_.end() || held->second->status != QueueTokenStatus::kActive) {
    return false;
  }
  EndToken(*room, *held->second, now_ms);
  room->releases = RecordReleases(room->releases, 1, now_ms);
  CheckInvariants(*room);
  return true;
}

Result<QueueToken> InProcessWaitingRoom::Leave(std::string_view token, std::string_view user_id,
                                               UnixMs now_ms) {
  std::lock_guard lock(mu_);
  Token* t = TokenOf(token);
  if (!t || t->user_id != user_id) {
    return MakeError(ErrorCode::kNotFound, "queue token " + std::string(token) + " does not exist");
  }
  Room* room = RoomOf(t->concert_id);
  BO_ASSERT(room != nullptr);
  ExpireDue(*room, now_ms);
  if (t->status == QueueTokenStatus::kWaiting) {
    return MakeError(ErrorCode::kInvalidState,
                     "queue token " + t->token + " is WAITING; it keeps its place until admitted");
  }
  if (t->status == QueueTokenStatus::kActive) {
    EndToken(*room, *t, now_ms);
    room->releases = RecordReleases(room->releases, 1, now_ms);
    CheckInvariants(*room);
  }
  return View(*room, *t, now_ms);
}

Result<AdmissionRound> InProcessWaitingRoom::Tick(UnixMs now_ms) {
  std::lock_guard lock(mu_);
  AdmissionRound round;
  for (auto& [id, room] : rooms_) {
    round.expired += ExpireDue(*room, now_ms);
    if (!room->settings.enabled) continue;
    OpenIfDue(*room, now_ms);
    round.admitted += Admit(*room, now_ms, &round.waited_ms);
  }
  Forget(now_ms);
  return round;
}

Result<WaitingRoomStats> InProcessWaitingRoom::Stats(UnixMs now_ms) {
  (void)now_ms;
  std::lock_guard lock(mu_);
  WaitingRoomStats stats;
  for (const auto& [id, room] : rooms_) {
    stats.rooms_enabled += room->settings.enabled ? 1 : 0;
    stats.waiting += room->waiting();
    stats.active += static_cast<std::int64_t>(room->active.size());
  }
  return stats;
}

}  // namespace bo::inprocess
