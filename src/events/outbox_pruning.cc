#include "events/outbox_pruning.h"

#include <algorithm>

#include "common/assert.h"

namespace bo {

std::int64_t OutboxHorizon(EventDelivery& delivery, const std::vector<std::string>& consumers) {
  BO_ASSERT(!consumers.empty());
  std::int64_t horizon = INT64_MAX;
  for (const auto& c : consumers) horizon = std::min(horizon, delivery.LoadCursor(c));
  if (const auto pending = delivery.OldestPendingSeq()) {
    horizon = std::min(horizon, *pending - 1);
  }
  return horizon;
}

int PruneOutbox(EventDelivery& delivery, const OutboxPruningOptions& options, UnixMs now_ms,
                EventMetrics& metrics) {
  const std::int64_t horizon = OutboxHorizon(delivery, options.consumers);
  std::int64_t least_cursor = INT64_MAX;
  for (const auto& c : options.consumers) {
    least_cursor = std::min(least_cursor, delivery.LoadCursor(c));
  }
  const int pruned = horizon > 0 ? delivery.PruneOutbox(horizon, options.rows_per_pass_max) : 0;
  delivery.PruneDeliveries(now_ms - options.deliveries_kept_ms, options.deliveries_per_pass_max);
  const OutboxState state = delivery.Outbox();
  metrics.outbox_backlog.Set(
      static_cast<double>(std::max<std::int64_t>(0, state.last_seq - least_cursor)));
  metrics.outbox_rows.Set(static_cast<double>(state.rows));
  return pruned;
}

void PrunePgEvents(postgres::PgWebhookDeliveries& deliveries, const OutboxPruningOptions& options,
                   UnixMs now_ms, EventMetrics& metrics) {
  deliveries.PruneDeliveries(now_ms - options.deliveries_kept_ms, options.deliveries_per_pass_max);
  deliveries.PruneWebhookEvents(options.rows_per_pass_max);
  const auto rows = static_cast<double>(deliveries.OutboxRows());
  metrics.outbox_backlog.Set(rows);
  metrics.outbox_rows.Set(rows);
}

}  // namespace bo
