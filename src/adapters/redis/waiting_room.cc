#include "adapters/redis/waiting_room.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <future>

#include "adapters/redis/waiting_room_scripts.h"
#include "common/assert.h"

namespace bo::redis {
namespace {

// The 19 strings of a token's view, as the scripts' view() returns them.
enum ViewField {
  kToken,
  kConcert,
  kUser,
  kStatus,
  kSeq,
  kExpiresAt,
  kEnabled,
  kAdmit,
  kMaxActive,
  kTtl,
  kOpensAt,
  kOpened,
  kCredit,
  kFilledAt,
  kServedSeq,
  kPreQueueSize,
  kActive,
  kReleaseRate,
  kReleaseAt,
  kViewFields,
};

constexpr std::int64_t kSeedMax = 2147483646;  // the shuffle's generator takes 1 .. 2^31 - 2
constexpr int kJoinAttemptsMax = 3;

Error Corrupt(std::string what) {
  return MakeError(ErrorCode::kInternal, "redis: unexpected " + std::move(what));
}

Error Failed(const RedisReply& reply) {
  return MakeError(ErrorCode::kUnavailable, "redis: " + reply.text);
}

// A call refused because too many wait for a batch already (call_batcher.h).
Error Busy() {
  return MakeError(ErrorCode::kUnavailable,
                   "redis: too many waiting-room calls are waiting already; retry later");
}

bool ParseI64(const std::string& text, std::int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseDouble(const std::string& text, double* out) {
  try {
    size_t used = 0;
    *out = std::stod(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

// The room of a view: the strings of kEnabled .. kReleaseAt at elements[first ..]. Checks
// what PresentQueueToken requires of the settings rather than assuming it of data from outside.
Result<RoomSnapshot> RoomOf(const std::vector<RedisReply>& elements, size_t first) {
  if (elements.size() < first + (kViewFields - kEnabled)) return Corrupt("view of a room");
  auto text = [&](int field) -> const std::string& {
    return elements[first + field - kEnabled].text;
  };
  std::int64_t n[kViewFields] = {};
  for (const int field : {kAdmit, kMaxActive, kTtl, kCredit, kFilledAt, kServedSeq, kPreQueueSize,
                          kActive, kReleaseAt}) {
    if (!ParseI64(text(field), &n[field])) return Corrupt("number in a room's view");
  }
  RoomSnapshot room;
  room.settings.enabled = text(kEnabled) == "1";
  room.settings.admit_per_second = static_cast<int>(n[kAdmit]);
  room.settings.max_active = static_cast<int>(n[kMaxActive]);
  room.settings.active_ttl_seconds = static_cast<int>(n[kTtl]);
  if (!text(kOpensAt).empty()) {
    std::int64_t opens_at_ms = 0;
    if (!ParseI64(text(kOpensAt), &opens_at_ms)) return Corrupt("opens_at");
    room.settings.opens_at_ms = opens_at_ms;
  }
  room.opened = text(kOpened) == "1";
  room.bucket = TokenBucket{n[kCredit], n[kFilledAt]};
  if (!ParseDouble(text(kReleaseRate), &room.releases.per_second)) return Corrupt("rel_rate");
  room.releases.at_ms = n[kReleaseAt];
  room.served_seq = n[kServedSeq];
  room.pre_queue_size = n[kPreQueueSize];
  room.active = n[kActive];
  const bool settings_valid =
      room.settings.admit_per_second >= kAdmitPerSecondMin &&
      room.settings.admit_per_second <= kAdmitPerSecondMax &&
      room.settings.max_active >= kMaxActiveMin && room.settings.max_active <= kMaxActiveMax &&
      room.settings.active_ttl_seconds >= kActiveTtlSecondsMin &&
      room.settings.active_ttl_seconds <= kActiveTtlSecondsMax && room.bucket.credit_units >= 0;
  if (!settings_valid) return Corrupt("settings of a room");
  return room;
}

// A token of `room` as its holder sees it at `now_ms`, its place checked against the room.
Result<QueueToken> Present(const StoredQueueToken& t, const RoomSnapshot& room, UnixMs now_ms) {
  const bool place_valid = t.status != QueueTokenStatus::kWaiting ||
                           (t.seq == 0 ? room.pre_queue_size >= 1 : t.seq > room.served_seq);
  if (!place_valid) return Corrupt("state of room " + t.concert_id);
  return PresentQueueToken(t, room, now_ms);
}

QueueTokenStatus StatusOf(const std::string& status) {
  return status == "W"   ? QueueTokenStatus::kWaiting
         : status == "A" ? QueueTokenStatus::kActive
                         : QueueTokenStatus::kExpired;
}

// The view of a token from the strings of a script, presented at `now_ms`.
Result<QueueToken> ViewOf(const RedisReply& reply, size_t first, UnixMs now_ms) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() < first + kViewFields) {
    return Corrupt("view of a token");
  }
  auto text = [&](int field) -> const std::string& { return reply.elements[first + field].text; };
  StoredQueueToken t;
  t.token = text(kToken);
  t.concert_id = text(kConcert);
  t.user_id = text(kUser);
  t.status = StatusOf(text(kStatus));
  if (!ParseI64(text(kSeq), &t.seq) || !ParseI64(text(kExpiresAt), &t.expires_at_ms)) {
    return Corrupt("number in a token's view");
  }
  auto room = RoomOf(reply.elements, first + kEnabled);
  if (!room.ok()) return room.error();
  return Present(t, *room, now_ms);
}

std::string Str(std::int64_t v) { return std::to_string(v); }

// Whether `reply` is the error `code` a script returned (Redis may prefix it with "ERR ").
bool IsScriptError(const RedisReply& reply, std::string_view code) {
  return reply.is_error() && reply.text.find(code) != std::string::npos;
}

// The entries of an answer to a batch of `count` calls (the joins' or the look-ups'), or why
// there are none: then every call of the batch fails alike.
Result<const std::vector<RedisReply>*> EntriesOf(const Result<RedisReply>& reply, size_t count) {
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) return Failed(reply.value());
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != count) {
    return Corrupt("answer to a batch");
  }
  return &reply->elements;
}

// One token of a look-up: its view, or nullopt for nil.
Result<std::optional<QueueToken>> FoundOf(const RedisReply& element, UnixMs now_ms) {
  if (element.type == RedisReply::Type::kNil) return std::optional<QueueToken>();
  auto view = ViewOf(element, 0, now_ms);
  if (!view.ok()) return view.error();
  return std::optional<QueueToken>(std::move(*view));
}

// The tokens of a look-up, in order: a view or nil each.
Result<std::vector<std::optional<QueueToken>>> TokensOf(const Result<RedisReply>& reply,
                                                        size_t count, UnixMs now_ms) {
  auto entries = EntriesOf(reply, count);
  if (!entries.ok()) return entries.error();
  std::vector<std::optional<QueueToken>> found;
  found.reserve(count);
  for (const auto& element : **entries) {
    auto one = FoundOf(element, now_ms);
    if (!one.ok()) return one.error();
    found.push_back(std::move(*one));
  }
  return found;
}

Result<GateVerdict> VerdictOf(const Result<RedisReply>& reply) {
  if (!reply.ok()) return reply.error();
  if (reply.value().is_error()) return Failed(reply.value());
  const std::string& v = reply.value().text;
  if (v == "OFF") return GateVerdict::kRoomOff;
  if (v == "PASSED") return GateVerdict::kPassed;
  if (v == "REQUIRED") return GateVerdict::kTokenRequired;
  if (v == "NOT_ACTIVE") return GateVerdict::kTokenNotActive;
  return Corrupt("verdict of the gate: " + v);
}

// Waits for the answer of an asynchronous call.
template <class T>
Result<T> Await(const std::function<void(WaitingRoomDone<T>)>& call) {
  std::promise<Result<T>> promise;
  std::future<Result<T>> answer = promise.get_future();
  call([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  return answer.get();
}

}  // namespace

Result<std::unique_ptr<RedisWaitingRoom>> RedisWaitingRoom::Open(std::string_view url,
                                                                 Random& random,
                                                                 RedisWaitingRoomOptions options) {
  auto endpoint = ParseRedisUrl(url);
  if (!endpoint.ok()) return endpoint.error();
  auto client = RedisClient::Connect(*endpoint, options.client);
  if (!client.ok()) return client.error();
  return std::unique_ptr<RedisWaitingRoom>(
      new RedisWaitingRoom(std::move(*client), random, options));
}

RedisWaitingRoom::RedisWaitingRoom(std::unique_ptr<RedisClient> client, Random& random,
                                   RedisWaitingRoomOptions options)
    : client_(std::move(client)),
      random_(random),
      options_(options),
      configure_(ConfigureScript()),
      join_(JoinScript()),
      find_(FindScript()),
      pass_(PassScript()),
      end_(EndScript()),
      leave_(LeaveScript()),
      tick_(TickScript()),
      stats_(StatsScript()),
      rooms_(RoomsScript()),
      joins_(options_.batches,
             [this](std::vector<PendingJoin> joins, std::function<void()> finished) {
               SendJoins(std::move(joins), std::move(finished));
             }),
      finds_(options_.batches,
             [this](std::vector<PendingFind> finds, std::function<void()> finished) {
               SendFinds(std::move(finds), std::move(finished));
             }) {
  BO_ASSERT(options_.waiting_tokens_max > 0 && options_.rooms_max > 0);
}

RedisWaitingRoom::~RedisWaitingRoom() {
  // The client answers what it holds; a batch that comes back meanwhile and finds more calls
  // waiting answers them unsent rather than submitting to a client being closed.
  closing_ = true;
  client_.reset();
}

Result<RedisReply> RedisWaitingRoom::Run(const LuaScript& script, std::vector<std::string> args) {
  return client_->Eval(script, std::move(args));
}

std::string RedisWaitingRoom::Seed() {
  return Str(static_cast<std::int64_t>(random_.Below(kSeedMax)) + 1);
}

Result<WaitingRoomSettings> RedisWaitingRoom::ConfigureInRedis(std::string_view concert_id,
                                                               const WaitingRoomSettings& s,
                                                               UnixMs now_ms) {
  auto reply = Run(configure_, {std::string(concert_id), s.enabled ? "1" : "0",
                                Str(s.admit_per_second), Str(s.max_active),
                                Str(s.active_ttl_seconds), s.opens_at_ms ? Str(*s.opens_at_ms) : "",
                                Str(now_ms), Seed(), Str(options_.rooms_max)});
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) {
    if (IsScriptError(*reply, "BO_ROOMS_FULL")) {
      return MakeError(ErrorCode::kUnavailable,
                       "no room for another waiting room (" + Str(options_.rooms_max) + " exist)");
    }
    return Failed(*reply);
  }
  return s;
}

Result<WaitingRoomSettings> RedisWaitingRoom::Configure(std::string_view concert_id,
                                                        const WaitingRoomSettings& s,
                                                        UnixMs now_ms) {
  BO_ASSERT(ValidateWaitingRoomSettings(s, now_ms).ok());
  auto configured = ConfigureInRedis(concert_id, s, now_ms);
  if (configured.ok()) {
    std::lock_guard lock(seen_mu_);
    seen_[std::string(concert_id)] = s;
  }
  return configured;
}

Result<JoinOutcome> RedisWaitingRoom::Join(std::string_view concert_id, std::string_view user_id,
                                           UnixMs now_ms) {
  return Await<JoinOutcome>([&](WaitingRoomDone<JoinOutcome> done) {
    JoinAsync(std::string(concert_id), std::string(user_id), now_ms, std::move(done));
  });
}

void RedisWaitingRoom::JoinAsync(std::string concert_id, std::string user_id, UnixMs now_ms,
                                 WaitingRoomDone<JoinOutcome> done) {
  SubmitJoin(PendingJoin{std::move(concert_id), std::move(user_id), now_ms, kJoinAttemptsMax,
                         std::move(done)});
}

void RedisWaitingRoom::SubmitJoin(PendingJoin join) {
  if (join.attempts_left == 0) {
    return join.done(MakeError(ErrorCode::kInternal, "could not draw an unused queue token"));
  }
  if (!joins_.Add(std::move(join))) join.done(Busy());
}

void RedisWaitingRoom::SendJoins(std::vector<PendingJoin> joins, std::function<void()> finished) {
  // The batch takes effect at the latest of its callers' times: each of them asked before it
  // was sent, so that moment lies within every call.
  UnixMs now_ms = 0;
  for (const PendingJoin& j : joins) now_ms = std::max(now_ms, j.now_ms);
  if (closing_.load()) {
    for (PendingJoin& j : joins) j.done(Busy());
    return finished();
  }
  std::vector<std::string> args;
  args.reserve(3 + 3 * joins.size());
  args.push_back(Str(now_ms));
  args.push_back(Seed());
  args.push_back(Str(options_.waiting_tokens_max));
  for (const PendingJoin& j : joins) {
    args.push_back(j.concert_id);
    args.push_back(j.user_id);
    args.push_back(NewQueueTokenId(random_));
  }
  client_->SubmitEval(
      join_, std::move(args),
      [this, joins = std::move(joins), now_ms, finished](Result<RedisReply> reply) mutable {
        AnswerJoins(joins, reply, now_ms);
        finished();
      });
}

void RedisWaitingRoom::AnswerJoins(std::vector<PendingJoin>& joins, const Result<RedisReply>& reply,
                                   UnixMs now_ms) {
  auto parts = EntriesOf(reply, 2);
  const std::vector<RedisReply>* entries = nullptr;
  const std::vector<RedisReply>* rooms = nullptr;
  if (parts.ok()) {
    entries = &(**parts)[0].elements;
    rooms = &(**parts)[1].elements;
    if (entries->size() != joins.size()) parts = Corrupt("answer to a batch of joins");
  }
  if (!parts.ok()) {
    for (PendingJoin& j : joins) j.done(parts.error());
    return;
  }
  // Each room's snapshot, read once for all its joins (nullopt until read).
  std::vector<std::optional<Result<RoomSnapshot>>> snapshots(rooms->size());
  for (size_t i = 0; i < joins.size(); ++i) {
    PendingJoin& j = joins[i];
    const RedisReply& e = (*entries)[i];
    if (e.type != RedisReply::Type::kArray) {
      if (e.text == "BO_OFF") {
        j.done(MakeError(ErrorCode::kInvalidState, "the waiting room of concert " + j.concert_id +
                                                       " is off; no queue token is needed"));
      } else if (e.text == "BO_FULL") {
        j.done(MakeError(ErrorCode::kUnavailable,
                         "the waiting room of concert " + j.concert_id + " is full"));
      } else if (e.text == "BO_RETRY") {  // the drawn token id was taken: draw another
        --j.attempts_left;
        SubmitJoin(std::move(j));
      } else {
        j.done(Corrupt("answer to a join: " + e.text));
      }
      continue;
    }
    j.done([&]() -> Result<JoinOutcome> {
      const auto& f = e.elements;
      std::int64_t room_index = 0, pre_queue_size = 0;
      StoredQueueToken t;
      if (f.size() != 7 || !ParseI64(f[3].text, &t.seq) || !ParseI64(f[4].text, &t.expires_at_ms) ||
          !ParseI64(f[5].text, &pre_queue_size) || !ParseI64(f[6].text, &room_index) ||
          room_index < 1 || static_cast<size_t>(room_index) > rooms->size()) {
        return Corrupt("answer to a join");
      }
      auto& snapshot = snapshots[static_cast<size_t>(room_index - 1)];
      if (!snapshot) snapshot = RoomOf((*rooms)[static_cast<size_t>(room_index - 1)].elements, 0);
      if (!snapshot->ok()) return snapshot->error();
      RoomSnapshot room = snapshot->value();
      room.pre_queue_size = pre_queue_size;
      t.token = f[1].text;
      t.concert_id = j.concert_id;
      t.user_id = j.user_id;
      t.status = StatusOf(f[2].text);
      auto view = Present(t, room, now_ms);
      if (!view.ok()) return view.error();
      return JoinOutcome{std::move(*view), f[0].text == "1"};
    }());
  }
}

Result<std::vector<std::optional<QueueToken>>> RedisWaitingRoom::FindMany(
    const std::vector<std::string>& tokens, UnixMs now_ms) {
  if (tokens.empty()) return std::vector<std::optional<QueueToken>>{};
  std::vector<std::string> args = {Str(now_ms), Seed()};
  args.insert(args.end(), tokens.begin(), tokens.end());
  return TokensOf(Run(find_, std::move(args)), tokens.size(), now_ms);
}

Result<std::optional<QueueToken>> RedisWaitingRoom::Find(std::string_view token, UnixMs now_ms) {
  return Await<std::optional<QueueToken>>([&](WaitingRoomDone<std::optional<QueueToken>> done) {
    FindAsync(std::string(token), now_ms, std::move(done));
  });
}

void RedisWaitingRoom::FindAsync(std::string token, UnixMs now_ms,
                                 WaitingRoomDone<std::optional<QueueToken>> done) {
  PendingFind find{std::move(token), now_ms, std::move(done)};
  if (!finds_.Add(std::move(find))) find.done(Busy());
}

void RedisWaitingRoom::SendFinds(std::vector<PendingFind> finds, std::function<void()> finished) {
  UnixMs now_ms = 0;  // the latest of the callers' times, as for joins
  for (const PendingFind& f : finds) now_ms = std::max(now_ms, f.now_ms);
  if (closing_.load()) {
    for (PendingFind& f : finds) f.done(Busy());
    return finished();
  }
  std::vector<std::string> args;
  args.reserve(2 + finds.size());
  args.push_back(Str(now_ms));
  args.push_back(Seed());
  for (const PendingFind& f : finds) args.push_back(f.token);
  client_->SubmitEval(
      find_, std::move(args),
      [finds = std::move(finds), now_ms, finished](Result<RedisReply> reply) mutable {
        auto entries = EntriesOf(reply, finds.size());
        for (size_t i = 0; i < finds.size(); ++i) {
          finds[i].done(entries.ok() ? FoundOf((**entries)[i], now_ms)
                                     : Result<std::optional<QueueToken>>(entries.error()));
        }
        finished();
      });
}

Result<GateVerdict> RedisWaitingRoom::Pass(std::string_view concert_id, std::string_view user_id,
                                           std::string_view token, UnixMs now_ms) {
  return Await<GateVerdict>([&](WaitingRoomDone<GateVerdict> done) {
    PassAsync(std::string(concert_id), std::string(user_id), std::string(token), now_ms,
              std::move(done));
  });
}

void RedisWaitingRoom::PassAsync(std::string concert_id, std::string user_id, std::string token,
                                 UnixMs now_ms, WaitingRoomDone<GateVerdict> done) {
  std::vector<std::string> args;
  args.reserve(4);
  args.push_back(std::move(concert_id));
  args.push_back(std::move(user_id));
  args.push_back(std::move(token));
  args.push_back(Str(now_ms));
  client_->SubmitEval(pass_, std::move(args), [done = std::move(done)](Result<RedisReply> reply) {
    done(VerdictOf(reply));
  });
}

Result<bool> RedisWaitingRoom::End(std::string_view concert_id, std::string_view user_id,
                                   UnixMs now_ms) {
  return Await<bool>([&](WaitingRoomDone<bool> done) {
    EndAsync(std::string(concert_id), std::string(user_id), now_ms, std::move(done));
  });
}

void RedisWaitingRoom::EndAsync(std::string concert_id, std::string user_id, UnixMs now_ms,
                                WaitingRoomDone<bool> done) {
  std::vector<std::string> args;
  args.reserve(3);
  args.push_back(std::move(concert_id));
  args.push_back(std::move(user_id));
  args.push_back(Str(now_ms));
  client_->SubmitEval(end_, std::move(args),
                      [done = std::move(done)](Result<RedisReply> reply) -> void {
                        if (!reply.ok()) return done(reply.error());
                        if (reply->is_error()) return done(Failed(*reply));
                        done(reply->type == RedisReply::Type::kInteger && reply->integer == 1);
                      });
}

Result<QueueToken> RedisWaitingRoom::Leave(std::string_view token, std::string_view user_id,
                                           UnixMs now_ms) {
  auto reply = Run(leave_, {std::string(token), std::string(user_id), Str(now_ms)});
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) {
    if (IsScriptError(*reply, "BO_NOT_FOUND")) {
      return MakeError(ErrorCode::kNotFound,
                       "queue token " + std::string(token) + " does not exist");
    }
    if (IsScriptError(*reply, "BO_WAITING")) {
      return MakeError(ErrorCode::kInvalidState, "queue token " + std::string(token) +
                                                     " is WAITING; it keeps its place until "
                                                     "admitted");
    }
    return Failed(*reply);
  }
  return ViewOf(*reply, 0, now_ms);
}

Result<AdmissionRound> RedisWaitingRoom::Tick(UnixMs now_ms) {
  if (ticks_.fetch_add(1) % kRefreshEveryTicks == 0) RefreshSeenRooms();
  auto reply = Run(tick_, {Str(now_ms), Seed()});
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) return Failed(*reply);
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() < 3) {
    return Corrupt("answer to an admission round");
  }
  AdmissionRound round;
  if (!ParseI64(reply->elements[0].text, &round.admitted) ||
      !ParseI64(reply->elements[1].text, &round.expired)) {
    return Corrupt("counts of an admission round");
  }
  for (size_t i = 3; i < reply->elements.size(); ++i) {
    std::int64_t waited_ms = 0;
    if (!ParseI64(reply->elements[i].text, &waited_ms)) return Corrupt("wait of a token");
    round.waited_ms.push_back(waited_ms);
  }
  const std::string& epoch = reply->elements[2].text;
  bool changed = false;
  {
    std::lock_guard lock(seen_mu_);
    changed = epoch != epoch_ && !seen_.empty();
    if (!changed) epoch_ = epoch;
  }
  if (changed) {
    RestoreLostRooms(now_ms);
    std::lock_guard lock(seen_mu_);
    epoch_ = epoch;  // a restoring Configure may set another: then the next round checks again
  }
  return round;
}

std::optional<std::map<std::string, WaitingRoomSettings, std::less<>>>
RedisWaitingRoom::RoomsInRedis() {
  auto reply = Run(rooms_, {});
  if (!reply.ok() || reply->type != RedisReply::Type::kArray) return std::nullopt;
  std::map<std::string, WaitingRoomSettings, std::less<>> rooms;
  for (const auto& room : reply->elements) {
    if (room.elements.size() != 6) continue;
    WaitingRoomSettings s;
    std::int64_t admit = 0, max_active = 0, ttl = 0, opens_at = 0;
    s.enabled = room.elements[1].text == "1";
    if (!ParseI64(room.elements[2].text, &admit) || !ParseI64(room.elements[3].text, &max_active) ||
        !ParseI64(room.elements[4].text, &ttl)) {
      continue;
    }
    s.admit_per_second = static_cast<int>(admit);
    s.max_active = static_cast<int>(max_active);
    s.active_ttl_seconds = static_cast<int>(ttl);
    if (!room.elements[5].text.empty()) {
      if (!ParseI64(room.elements[5].text, &opens_at)) continue;
      s.opens_at_ms = opens_at;
    }
    rooms.emplace(room.elements[0].text, s);
  }
  return rooms;
}

void RedisWaitingRoom::RefreshSeenRooms() {
  auto rooms = RoomsInRedis();
  if (!rooms) return;
  // Rooms are never removed: one missing from Redis was lost, and its copy here is kept.
  std::lock_guard lock(seen_mu_);
  for (auto& [concert_id, s] : *rooms) seen_[concert_id] = s;
}

void RedisWaitingRoom::RestoreLostRooms(UnixMs now_ms) {
  auto in_redis = RoomsInRedis();
  if (!in_redis) return;
  std::vector<std::pair<std::string, WaitingRoomSettings>> lost;
  {
    std::lock_guard lock(seen_mu_);
    for (const auto& [concert_id, s] : seen_) {
      if (!in_redis->contains(concert_id)) lost.emplace_back(concert_id, s);
    }
  }
  if (lost.empty()) return;
  spdlog::warn("redis lost {} waiting rooms: configuring them again", lost.size());
  for (const auto& [concert_id, s] : lost) {
    // An opening already passed is restored as open now: the pre-queue was lost with the rest.
    WaitingRoomSettings restored = s;
    if (restored.opens_at_ms && *restored.opens_at_ms <= now_ms) restored.opens_at_ms.reset();
    if (!ValidateWaitingRoomSettings(restored, now_ms).ok()) continue;
    auto configured = ConfigureInRedis(concert_id, restored, now_ms);
    if (!configured.ok()) {
      spdlog::error("restoring the waiting room of {}: {}", concert_id, configured.error().detail);
    }
  }
}

Result<WaitingRoomStats> RedisWaitingRoom::Stats(UnixMs now_ms) {
  (void)now_ms;
  auto reply = Run(stats_, {});
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) return Failed(*reply);
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 3) {
    return Corrupt("answer to the statistics");
  }
  WaitingRoomStats stats;
  stats.rooms_enabled = reply->elements[0].integer;
  stats.waiting = reply->elements[1].integer;
  stats.active = reply->elements[2].integer;
  return stats;
}

}  // namespace bo::redis
