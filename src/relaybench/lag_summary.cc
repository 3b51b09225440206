#include "relaybench/lag_summary.h"

#include <cmath>
#include <limits>
#include <vector>

#include "common/assert.h"

namespace bo::relaybench {

LagSummary SummarizeLag(const prometheus::ClientMetric::Histogram& before,
                        const prometheus::ClientMetric::Histogram& after, double goal_ms) {
  BO_ASSERT(before.bucket.size() == after.bucket.size());
  BO_ASSERT(after.sample_count >= before.sample_count);
  std::vector<std::uint64_t> cumulative(after.bucket.size());
  for (size_t i = 0; i < after.bucket.size(); ++i) {
    BO_ASSERT(after.bucket[i].upper_bound == before.bucket[i].upper_bound);
    cumulative[i] = after.bucket[i].cumulative_count - before.bucket[i].cumulative_count;
  }
  // The upper bound of the first bucket whose cumulative count reaches `rank`.
  const auto bound_at_rank = [&](double rank) {
    for (size_t i = 0; i < cumulative.size(); ++i) {
      if (static_cast<double>(cumulative[i]) >= rank) return after.bucket[i].upper_bound;
    }
    return std::numeric_limits<double>::infinity();
  };
  LagSummary s;
  s.events = after.sample_count - before.sample_count;
  bool goal_is_boundary = false;
  for (size_t i = 0; i < cumulative.size(); ++i) {
    if (after.bucket[i].upper_bound != goal_ms) continue;
    goal_is_boundary = true;
    if (s.events > 0) {
      s.share_within_goal = static_cast<double>(cumulative[i]) / static_cast<double>(s.events);
    }
  }
  BO_ASSERT(goal_is_boundary);
  if (s.events == 0) return s;
  const double n = static_cast<double>(s.events);
  s.p50_ms_at_most = bound_at_rank(std::ceil(0.50 * n));
  s.p99_ms_at_most = bound_at_rank(std::ceil(0.99 * n));
  s.max_ms_at_most = bound_at_rank(n);
  return s;
}

}  // namespace bo::relaybench
