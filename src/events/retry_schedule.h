// When a failed webhook delivery is tried again: exponential backoff with full jitter,
// for at least retry_window_ms after the delivery was created.
//
// After the n-th failed attempt (n >= 1) the next one waits a uniformly random delay in
// [0, min(delay_cap_ms, base_delay_ms * 2^(n-1))]. With the defaults the ceilings are 5 s,
// 10 s, 20 s, ... 1 h from the 11th failure on; a delivery is given up after the first failed
// attempt made 24 h or more after it was created, or after attempts_max attempts.
#pragma once

#include <cstdint>

#include "common/time.h"
#include "ports/random.h"

namespace bo {

struct RetrySchedule {
  std::int64_t base_delay_ms = 5'000;
  std::int64_t delay_cap_ms = 3'600'000;
  std::int64_t retry_window_ms = 24LL * 3'600'000;
  int attempts_max = 1'000;  // bounds a delivery however the clock moves
};

// The ceiling of the delay after `failed_attempts` failures. REQUIRES: failed_attempts >= 1.
std::int64_t BackoffCeilingMs(const RetrySchedule& schedule, int failed_attempts);

// When to try again after the `failed_attempts`-th failure at `now_ms` of a delivery created
// at `created_at_ms`, or 0 to give up. REQUIRES: failed_attempts >= 1.
UnixMs NextAttemptAtMs(const RetrySchedule& schedule, UnixMs created_at_ms, int failed_attempts,
                       UnixMs now_ms, Random& random);

}  // namespace bo
