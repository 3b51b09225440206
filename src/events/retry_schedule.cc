#include "events/retry_schedule.h"

#include <algorithm>

#include "common/assert.h"

namespace bo {

std::int64_t BackoffCeilingMs(const RetrySchedule& schedule, int failed_attempts) {
  BO_ASSERT(failed_attempts >= 1 && schedule.base_delay_ms > 0);
  std::int64_t ceiling = schedule.base_delay_ms;
  for (int i = 1; i < failed_attempts && ceiling < schedule.delay_cap_ms; ++i) ceiling *= 2;
  return std::min(ceiling, schedule.delay_cap_ms);
}

UnixMs NextAttemptAtMs(const RetrySchedule& schedule, UnixMs created_at_ms, int failed_attempts,
                       UnixMs now_ms, Random& random) {
  if (failed_attempts >= schedule.attempts_max) return 0;
  if (now_ms - created_at_ms >= schedule.retry_window_ms) return 0;
  const std::int64_t ceiling = BackoffCeilingMs(schedule, failed_attempts);
  const auto delay =
      static_cast<std::int64_t>(random.Below(static_cast<std::uint64_t>(ceiling) + 1));
  return std::max<UnixMs>(now_ms + delay, 1);
}

}  // namespace bo
