#include "http/rate_limiter.h"

#include <algorithm>

#include "common/assert.h"

namespace bo {

RateLimiter::RateLimiter(BucketLimits limits, size_t keys_max)
    : limits_(limits), keys_max_(keys_max) {
  BO_ASSERT(keys_max_ >= 1);
  (void)FillBucket(TokenBucket{}, limits_, 0);  // asserts the limits
  // A rush of new keys would otherwise rehash the map under the lock every request waits for.
  buckets_.reserve(std::min(keys_max_, kKeysReservedMax));
}

void RateLimiter::DropFullBuckets(UnixMs now_ms) {
  const std::int64_t full_units = limits_.capacity * kBucketUnitsPerToken;
  std::erase_if(buckets_, [&](const auto& entry) {
    return FillBucket(entry.second, limits_, now_ms).credit_units >= full_units;
  });
}

RateLimiter::Verdict RateLimiter::Take(const std::string& key, UnixMs now_ms) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Scanning for full buckets costs O(keys): at most once a second.
    if (buckets_.size() >= keys_max_ && now_ms >= next_drop_at_ms_) {
      DropFullBuckets(now_ms);
      next_drop_at_ms_ = now_ms + kDropIntervalMs;
    }
    if (buckets_.size() >= keys_max_) return Verdict{false, 1};
    it = buckets_.emplace(key, TokenBucket{limits_.capacity * kBucketUnitsPerToken, now_ms}).first;
  }
  TokenBucket bucket = FillBucket(it->second, limits_, now_ms);
  if (WholeTokens(bucket) < 1) {
    it->second = bucket;
    const std::int64_t wait_ms = MsUntilTokens(bucket, limits_, 1);
    return Verdict{false, std::max<std::int64_t>(1, (wait_ms + 999) / 1000)};
  }
  it->second = SpendTokens(bucket, 1);
  return Verdict{true, 0};
}

size_t RateLimiter::keys() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace bo
