// Reads the publisher's lag histogram (boxoffice_nats_publish_lag_ms) back as quantiles.
//
// The histogram keeps counts per bucket only, so a quantile is reported as the upper bound of
// the bucket it falls in (the true value is at most that), and the share of events at or
// under a bound is exact when the bound is a bucket boundary.
#pragma once

#include <prometheus/client_metric.h>

#include <cstdint>

namespace bo::relaybench {

struct LagSummary {
  std::uint64_t events = 0;
  double p50_ms_at_most = 0;  // the upper bounds of the buckets holding the quantiles
  double p99_ms_at_most = 0;
  double max_ms_at_most = 0;     // +inf if an event is beyond the last boundary
  double share_within_goal = 0;  // of events with lag <= goal_ms
};

// The events observed between two snapshots of the histogram (Collect().histogram).
// REQUIRES: `after` was taken after `before` from the same histogram; goal_ms is one of its
// bucket boundaries.
LagSummary SummarizeLag(const prometheus::ClientMetric::Histogram& before,
                        const prometheus::ClientMetric::Histogram& after, double goal_ms);

}  // namespace bo::relaybench
