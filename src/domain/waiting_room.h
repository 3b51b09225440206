// The virtual waiting room of a concert: the rules, as pure functions of the state and of the
// time passed in. The WaitingRoom port (ports/waiting_room.h) keeps the state; its adapters
// apply these rules, so both adapters admit, order and estimate alike.
//
// A buyer joins and gets a token, WAITING at a place in line. Admission turns WAITING tokens
// ACTIVE strictly in line order, limited two ways at once:
//   - rate ("amusement park"): a token bucket fills at admit_per_second and holds at most one
//     second's worth, so over any t seconds at most admit_per_second * (t + 1) are admitted;
//   - capacity ("bank teller"): never more than max_active ACTIVE at once; a token that ends
//     (paid, left, or unused for active_ttl_seconds) frees its slot for the next in line.
//
// Tokens taken before opens_at form a pre-queue with no order: when the sale opens they are
// shuffled once, uniformly, and placed in line before everyone who comes later; later
// arrivals are placed first come, first served.
//
//   WAITING --admitted--> ACTIVE --paid | left | unused for active_ttl_seconds--> EXPIRED
//
// Places in line are numbered by a sequence (seq) given on joining (or at the shuffle), and a
// WAITING token never leaves the line except by admission, so the place of a WAITING token is
// exactly seq - served_seq, where served_seq is the seq of the last token admitted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "domain/token_bucket.h"

namespace bo {

enum class QueueTokenStatus { kWaiting, kActive, kExpired };
std::string_view QueueTokenStatusName(QueueTokenStatus s);  // "WAITING", "ACTIVE", "EXPIRED"

// A token as its holder sees it, as of the time of the call.
struct QueueToken {
  std::string token;
  std::string concert_id;
  std::string user_id;
  QueueTokenStatus status = QueueTokenStatus::kWaiting;
  // WAITING: 1 for the next to be admitted. In the pre-queue (before the sale opens) no place
  // is drawn yet: the size of the pre-queue, the last place the token can draw. Else 0.
  std::int64_t position = 0;
  std::int64_t eta_seconds = 0;  // WAITING: EtaSeconds; else 0
  // ACTIVE: when it expires unless used; EXPIRED: when it ended; WAITING: none.
  std::optional<UnixMs> expires_at_ms;
  bool in_pre_queue = false;
};

// Limits of the settings.
inline constexpr int kAdmitPerSecondMin = 1;
inline constexpr int kAdmitPerSecondMax = 100'000;
inline constexpr int kMaxActiveMin = 1;
inline constexpr int kMaxActiveMax = 1'000'000;
inline constexpr int kActiveTtlSecondsMin = 1;
inline constexpr int kActiveTtlSecondsMax = 24 * 3600;
inline constexpr UnixMs kOpensAtAheadMsMax = 366LL * 24 * 3600 * 1000;

// Other limits and constants of the rules.
inline constexpr std::int64_t kEtaSecondsMax = 30LL * 24 * 3600;
// The release rate forgets with this time constant (an exponentially weighted moving average).
inline constexpr double kReleaseRateTimeConstantSeconds = 30.0;
// An ended token stays readable (as EXPIRED) this long, then is forgotten (404).
inline constexpr UnixMs kEndedTokenRetentionMs = 10 * 60 * 1000;
inline constexpr size_t kQueueTokenBytesMax = 64;

struct WaitingRoomSettings {
  bool enabled = false;
  int admit_per_second = 0;
  int max_active = 0;
  int active_ttl_seconds = 0;
  std::optional<UnixMs> opens_at_ms;  // none: the line forms in arrival order at once
};

// Ok, or kInvalidRequest naming the field as the API spells it: admitPerSecond, maxActive
// (kAdmitPerSecondMin.., kMaxActiveMin..), activeTtlSeconds, and opensAt, which may be in the
// past (the sale is open) but at most kOpensAtAheadMsMax after `now_ms`.
Status ValidateWaitingRoomSettings(const WaitingRoomSettings& s, UnixMs now_ms);

// The admission bucket of a room: admit_per_second a second, one second's worth at most.
// REQUIRES: valid settings.
BucketLimits AdmissionLimits(const WaitingRoomSettings& s);

// How many tokens an admission round admits now: as many as the credit in `filled` (the room's
// bucket filled to now) allows, no more than the free slots, no more than are waiting.
// REQUIRES: valid settings, active >= 0, waiting >= 0. Returns 0..waiting.
std::int64_t AdmissionsDue(const WaitingRoomSettings& s, const TokenBucket& filled,
                           std::int64_t active, std::int64_t waiting);

// The expiry of an ACTIVE token admitted or last used at `used_at_ms`.
UnixMs ActiveExpiresAt(const WaitingRoomSettings& s, UnixMs used_at_ms);

// The rate at which ACTIVE tokens end (releases per second), an exponentially weighted moving
// average with time constant kReleaseRateTimeConstantSeconds. A room starts from its nominal
// turnover, max_active / active_ttl_seconds (every slot used for its whole TTL), so the
// first estimates are sensible, and then follows what really happens.
struct ReleaseRate {
  double per_second = 0;
  UnixMs at_ms = 0;
};
ReleaseRate InitialReleaseRate(const WaitingRoomSettings& s, UnixMs now_ms);
// The rate as it stands at `now_ms` (decayed since at_ms; an earlier now changes nothing).
ReleaseRate DecayReleaseRate(const ReleaseRate& r, UnixMs now_ms);
// Records `n` releases at `now_ms`. REQUIRES: n >= 0.
ReleaseRate RecordReleases(const ReleaseRate& r, std::int64_t n, UnixMs now_ms);

// What the estimate of a wait depends on, all as of now_ms.
struct QueueOutlook {
  WaitingRoomSettings settings;  // REQUIRES: valid
  bool opened = true;            // false: the sale opens at settings.opens_at_ms
  TokenBucket bucket;            // filled to now_ms (empty until the sale opens)
  std::int64_t active = 0;       // ACTIVE tokens now
  double releases_per_second = 0;
  UnixMs now_ms = 0;
};

// Seconds until the token at `position` (1 = next) is admitted, rounded up, at most
// kEtaSecondsMax. Two limits apply and the later one decides: the bucket must hold `position`
// admissions (it fills at admit_per_second), and `position` minus the free slots must be
// freed, at the room's recent release rate. Before the sale opens the time until it opens
// comes first. REQUIRES: position >= 1.
std::int64_t EtaSeconds(const QueueOutlook& q, std::int64_t position);

// A token as an adapter keeps it.
struct StoredQueueToken {
  std::string token;
  std::string concert_id;
  std::string user_id;
  QueueTokenStatus status = QueueTokenStatus::kWaiting;
  std::int64_t seq = 0;      // place in line; 0 while in the pre-queue
  UnixMs expires_at_ms = 0;  // ACTIVE: when it expires unless used; EXPIRED: when it ended
};

// What the place and wait of a token depend on, of its room as an adapter keeps it.
struct RoomSnapshot {
  WaitingRoomSettings settings;  // REQUIRES: valid
  bool opened = false;
  TokenBucket bucket;    // as stored: filled to now here
  ReleaseRate releases;  // as stored: decayed to now here
  std::int64_t served_seq = 0;
  std::int64_t pre_queue_size = 0;
  std::int64_t active = 0;
};

// The token as its holder sees it at `now_ms`: a WAITING token's position (seq - served_seq,
// or the pre-queue's size) and ETA (kEtaSecondsMax while the room is off); an ACTIVE token
// past its expiry reads EXPIRED. REQUIRES: a WAITING token has seq > served_seq, or seq 0
// and a pre-queue of at least 1.
QueueToken PresentQueueToken(const StoredQueueToken& t, const RoomSnapshot& room, UnixMs now_ms);

// Milliseconds a token waited in line: from joining, or from the opening of the sale for a
// token of the pre-queue, to its admission. Never negative.
std::int64_t WaitedMs(UnixMs joined_at_ms, UnixMs opened_at_ms, UnixMs admitted_at_ms);

// Shuffles `items` uniformly (Fisher-Yates). `below(n)` must return a uniformly random
// integer in [0, n) for n >= 1.
template <class T, class Below>
void ShuffleUniformly(std::vector<T>& items, Below&& below) {
  for (size_t i = items.size(); i > 1; --i) {
    const auto j = static_cast<size_t>(below(static_cast<std::uint64_t>(i)));
    BO_ASSERT(j < i);
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace bo
