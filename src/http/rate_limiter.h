// Abuse limits: a token bucket per key (a user id, a client address). Thread-safe and bounded:
// at most keys_max buckets are kept; when that many are, the buckets that have refilled
// completely (their keys went quiet) are dropped, and if none has, a new key is refused until
// one does (the limiter fails closed rather than growing).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/time.h"
#include "domain/token_bucket.h"

namespace bo {

// Keys whose hash buckets are allocated at start (8 bytes each).
inline constexpr size_t kKeysReservedMax = 1'000'000;

class RateLimiter {
 public:
  // REQUIRES: limits within the bounds of domain/token_bucket.h; keys_max >= 1.
  RateLimiter(BucketLimits limits, size_t keys_max);

  struct Verdict {
    bool allowed = false;
    std::int64_t retry_after_seconds = 0;  // when refused: >= 1, until one token is back
  };

  // Takes one token from the bucket of `key` (a full bucket for a new key).
  Verdict Take(const std::string& key, UnixMs now_ms);

  size_t keys() const;

 private:
  // Drops every bucket that is full at `now_ms`. REQUIRES: mu_ held.
  void DropFullBuckets(UnixMs now_ms);

  static constexpr UnixMs kDropIntervalMs = 1000;

  const BucketLimits limits_;
  const size_t keys_max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;
  UnixMs next_drop_at_ms_ = 0;
};

}  // namespace bo
