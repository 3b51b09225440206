#include "domain/token_bucket.h"

#include <algorithm>

#include "common/assert.h"

namespace bo {
namespace {

void AssertLimits(const BucketLimits& limits) {
  BO_ASSERT(limits.per_minute >= 1 && limits.per_minute <= kBucketPerMinuteMax);
  BO_ASSERT(limits.capacity >= 1 && limits.capacity <= kBucketCapacityMax);
}

}  // namespace

TokenBucket FillBucket(const TokenBucket& bucket, const BucketLimits& limits, UnixMs now_ms) {
  AssertLimits(limits);
  BO_ASSERT(bucket.credit_units >= 0);
  const std::int64_t capacity_units = limits.capacity * kBucketUnitsPerToken;
  TokenBucket filled;
  filled.filled_at_ms = std::max(now_ms, bucket.filled_at_ms);
  // One minute is 60,000 ms and a token 60,000 units: per_minute tokens a minute add exactly
  // per_minute units a millisecond. The elapsed time is capped at the time to fill up, so the
  // product cannot overflow however long the bucket sat idle.
  const std::int64_t missing_units =
      std::max<std::int64_t>(0, capacity_units - bucket.credit_units);
  const std::int64_t ms_to_full = (missing_units + limits.per_minute - 1) / limits.per_minute;
  const std::int64_t elapsed_ms = std::min(filled.filled_at_ms - bucket.filled_at_ms, ms_to_full);
  // A capacity lowered since the last fill caps the credit at once.
  filled.credit_units =
      std::min(capacity_units, bucket.credit_units + elapsed_ms * limits.per_minute);
  return filled;
}

std::int64_t WholeTokens(const TokenBucket& bucket) {
  BO_ASSERT(bucket.credit_units >= 0);
  return bucket.credit_units / kBucketUnitsPerToken;
}

TokenBucket SpendTokens(const TokenBucket& bucket, std::int64_t n) {
  BO_ASSERT(n >= 0 && n <= WholeTokens(bucket));
  TokenBucket spent = bucket;
  spent.credit_units -= n * kBucketUnitsPerToken;
  return spent;
}

std::int64_t MsUntilTokens(const TokenBucket& bucket, const BucketLimits& limits, std::int64_t n) {
  AssertLimits(limits);
  BO_ASSERT(n >= 0);
  const std::int64_t missing_units = n * kBucketUnitsPerToken - bucket.credit_units;
  if (missing_units <= 0) return 0;
  return (missing_units + limits.per_minute - 1) / limits.per_minute;
}

}  // namespace bo
