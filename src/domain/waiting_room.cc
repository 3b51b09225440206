#include "domain/waiting_room.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/enum_names.h"

namespace bo {
namespace {

constexpr EnumNames<QueueTokenStatus, 3> kStatuses({{{QueueTokenStatus::kWaiting, "WAITING"},
                                                     {QueueTokenStatus::kActive, "ACTIVE"},
                                                     {QueueTokenStatus::kExpired, "EXPIRED"}}});

Error Invalid(std::string detail) {
  return MakeError(ErrorCode::kInvalidRequest, std::move(detail));
}

std::string Range(std::int64_t min, std::int64_t max) {
  return "must be between " + std::to_string(min) + " and " + std::to_string(max);
}

bool IsValid(const WaitingRoomSettings& s) {
  return s.admit_per_second >= kAdmitPerSecondMin && s.admit_per_second <= kAdmitPerSecondMax &&
         s.max_active >= kMaxActiveMin && s.max_active <= kMaxActiveMax &&
         s.active_ttl_seconds >= kActiveTtlSecondsMin &&
         s.active_ttl_seconds <= kActiveTtlSecondsMax;
}

}  // namespace

std::string_view QueueTokenStatusName(QueueTokenStatus s) { return kStatuses.Name(s); }

Status ValidateWaitingRoomSettings(const WaitingRoomSettings& s, UnixMs now_ms) {
  if (s.admit_per_second < kAdmitPerSecondMin || s.admit_per_second > kAdmitPerSecondMax) {
    return Invalid("admitPerSecond: " + Range(kAdmitPerSecondMin, kAdmitPerSecondMax));
  }
  if (s.max_active < kMaxActiveMin || s.max_active > kMaxActiveMax) {
    return Invalid("maxActive: " + Range(kMaxActiveMin, kMaxActiveMax));
  }
  if (s.active_ttl_seconds < kActiveTtlSecondsMin || s.active_ttl_seconds > kActiveTtlSecondsMax) {
    return Invalid("activeTtlSeconds: " + Range(kActiveTtlSecondsMin, kActiveTtlSecondsMax));
  }
  if (s.opens_at_ms && *s.opens_at_ms > now_ms + kOpensAtAheadMsMax) {
    return Invalid("opensAt: must be at most " + std::to_string(kOpensAtAheadMsMax / 86'400'000) +
                   " days ahead");
  }
  return Ok();
}

BucketLimits AdmissionLimits(const WaitingRoomSettings& s) {
  BO_ASSERT(IsValid(s));
  return BucketLimits{60LL * s.admit_per_second, s.admit_per_second};
}

std::int64_t AdmissionsDue(const WaitingRoomSettings& s, const TokenBucket& filled,
                           std::int64_t active, std::int64_t waiting) {
  BO_ASSERT(IsValid(s));
  BO_ASSERT(active >= 0 && waiting >= 0);
  const std::int64_t free_slots = std::max<std::int64_t>(0, s.max_active - active);
  const std::int64_t due = std::min({WholeTokens(filled), free_slots, waiting});
  BO_ASSERT(due >= 0 && due <= waiting);
  return due;
}

UnixMs ActiveExpiresAt(const WaitingRoomSettings& s, UnixMs used_at_ms) {
  BO_ASSERT(IsValid(s));
  return used_at_ms + static_cast<UnixMs>(s.active_ttl_seconds) * 1000;
}

ReleaseRate InitialReleaseRate(const WaitingRoomSettings& s, UnixMs now_ms) {
  BO_ASSERT(IsValid(s));
  return ReleaseRate{static_cast<double>(s.max_active) / s.active_ttl_seconds, now_ms};
}

ReleaseRate DecayReleaseRate(const ReleaseRate& r, UnixMs now_ms) {
  if (now_ms <= r.at_ms) return r;
  const double elapsed_seconds = static_cast<double>(now_ms - r.at_ms) / 1000.0;
  return ReleaseRate{r.per_second * std::exp(-elapsed_seconds / kReleaseRateTimeConstantSeconds),
                     now_ms};
}

ReleaseRate RecordReleases(const ReleaseRate& r, std::int64_t n, UnixMs now_ms) {
  BO_ASSERT(n >= 0);
  ReleaseRate decayed = DecayReleaseRate(r, now_ms);
  decayed.per_second += static_cast<double>(n) / kReleaseRateTimeConstantSeconds;
  return decayed;
}

std::int64_t EtaSeconds(const QueueOutlook& q, std::int64_t position) {
  BO_ASSERT(position >= 1);
  const WaitingRoomSettings& s = q.settings;
  const BucketLimits limits = AdmissionLimits(s);

  // Until the sale opens nobody is admitted, and the bucket starts empty when it does.
  double opens_in_ms = 0;
  TokenBucket bucket = q.bucket;
  if (!q.opened && s.opens_at_ms) {
    opens_in_ms = static_cast<double>(std::max<UnixMs>(0, *s.opens_at_ms - q.now_ms));
    bucket = TokenBucket{0, *s.opens_at_ms};
  }
  const double by_rate_ms = static_cast<double>(MsUntilTokens(bucket, limits, position));

  const std::int64_t free_slots = std::max<std::int64_t>(0, s.max_active - q.active);
  const std::int64_t slots_to_free = position - free_slots;
  double by_capacity_ms = 0;
  if (slots_to_free > 0) {
    by_capacity_ms = q.releases_per_second > 0
                         ? static_cast<double>(slots_to_free) / q.releases_per_second * 1000.0
                         : static_cast<double>(kEtaSecondsMax) * 1000.0;
  }

  const double total_ms = opens_in_ms + std::max(by_rate_ms, by_capacity_ms);
  const double seconds = std::ceil(total_ms / 1000.0);
  if (!(seconds < static_cast<double>(kEtaSecondsMax))) return kEtaSecondsMax;  // also NaN
  return static_cast<std::int64_t>(seconds);
}

QueueToken PresentQueueToken(const StoredQueueToken& t, const RoomSnapshot& room, UnixMs now_ms) {
  QueueToken v;
  v.token = t.token;
  v.concert_id = t.concert_id;
  v.user_id = t.user_id;
  v.status = t.status;
  switch (t.status) {
    case QueueTokenStatus::kWaiting: {
      v.in_pre_queue = t.seq == 0;
      v.position = v.in_pre_queue ? room.pre_queue_size : t.seq - room.served_seq;
      BO_ASSERT(v.position >= 1);
      if (!room.settings.enabled) {
        v.eta_seconds = kEtaSecondsMax;  // nobody is admitted while the room is off
        break;
      }
      QueueOutlook q;
      q.settings = room.settings;
      q.opened = room.opened;
      q.bucket = room.opened ? FillBucket(room.bucket, AdmissionLimits(room.settings), now_ms)
                             : room.bucket;
      q.active = room.active;
      q.releases_per_second = DecayReleaseRate(room.releases, now_ms).per_second;
      q.now_ms = now_ms;
      v.eta_seconds = EtaSeconds(q, v.position);
      break;
    }
    case QueueTokenStatus::kActive:
      // Due but not yet swept: it cannot pass the gate any more, so it reads as EXPIRED.
      if (t.expires_at_ms <= now_ms) v.status = QueueTokenStatus::kExpired;
      v.expires_at_ms = t.expires_at_ms;
      break;
    case QueueTokenStatus::kExpired:
      v.expires_at_ms = t.expires_at_ms;
      break;
  }
  return v;
}

std::int64_t WaitedMs(UnixMs joined_at_ms, UnixMs opened_at_ms, UnixMs admitted_at_ms) {
  return std::max<std::int64_t>(0, admitted_at_ms - std::max(joined_at_ms, opened_at_ms));
}

}  // namespace bo
