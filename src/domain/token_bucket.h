// A token bucket: credit that refills continuously at a fixed rate up to a capacity, spent one
// whole token at a time. The waiting room meters admissions with one, and the API meters
// queue-token requests per user and per client address with others.
//
// Credit is counted in units of 1/60,000 of a token, so a rate of whole tokens per minute (and
// so per second) adds a whole number of units every millisecond: no arithmetic ever rounds,
// and the same state gives the same answer in every adapter (including Lua on Redis).
#pragma once

#include <cstdint>

#include "common/time.h"

namespace bo {

inline constexpr std::int64_t kBucketUnitsPerToken = 60'000;

// REQUIRES of every function below: 1 <= per_minute <= kBucketPerMinuteMax and
// 1 <= capacity <= kBucketCapacityMax, so no product overflows.
inline constexpr std::int64_t kBucketPerMinuteMax = 60LL * 1'000'000;
inline constexpr std::int64_t kBucketCapacityMax = 10'000'000;

struct BucketLimits {
  std::int64_t per_minute = 1;  // tokens added per minute
  std::int64_t capacity = 1;    // whole tokens held at most
};

struct TokenBucket {
  std::int64_t credit_units = 0;  // 0 <= credit_units <= capacity * kBucketUnitsPerToken
  UnixMs filled_at_ms = 0;        // the instant credit_units is counted at
};

// The bucket as it stands at `now_ms`: refilled for the time since filled_at_ms, capped at the
// capacity. A `now_ms` before filled_at_ms (a clock stepping back) adds nothing and keeps
// filled_at_ms, so time never runs backwards for the bucket.
TokenBucket FillBucket(const TokenBucket& bucket, const BucketLimits& limits, UnixMs now_ms);

// Whole tokens in the bucket.
std::int64_t WholeTokens(const TokenBucket& bucket);

// Takes `n` whole tokens. REQUIRES: 0 <= n <= WholeTokens(bucket).
TokenBucket SpendTokens(const TokenBucket& bucket, std::int64_t n);

// Milliseconds from filled_at_ms until the bucket holds `n` whole tokens if nothing is spent
// and the capacity did not cap it (the caller spends as it fills): 0 if it holds them already.
// REQUIRES: n >= 0.
std::int64_t MsUntilTokens(const TokenBucket& bucket, const BucketLimits& limits, std::int64_t n);

}  // namespace bo
