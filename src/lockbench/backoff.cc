#include "lockbench/backoff.h"

#include <algorithm>
#include <cstdint>

#include "common/assert.h"

namespace bo::lockbench {

std::chrono::microseconds BackoffDelay(const BackoffPolicy& policy, int retry,
                                       std::mt19937_64& rng) {
  BO_ASSERT(policy.initial_us > 0 && policy.initial_us <= policy.max_us && retry >= 0);
  // Doubling more than 31 times passes any int cap; stop there so the shift cannot overflow.
  const int doublings = std::min(retry, 31);
  const std::int64_t cap_us =
      std::min<std::int64_t>(policy.max_us, std::int64_t{policy.initial_us} << doublings);
  std::uniform_int_distribution<std::int64_t> jitter(cap_us / 2, cap_us);
  return std::chrono::microseconds(jitter(rng));
}

}  // namespace bo::lockbench
