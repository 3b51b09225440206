// Prunes the outbox behind every consumer, and measures what is left.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/postgres/event_delivery.h"
#include "common/time.h"
#include "events/event_metrics.h"
#include "ports/event_delivery.h"

namespace bo {

struct OutboxPruningOptions {
  std::vector<std::string> consumers;  // the consumers configured in this process
  int rows_per_pass_max = 10'000;      // outbox rows deleted per call
  std::int64_t deliveries_kept_ms = 7LL * 24 * 3'600'000;  // finished deliveries kept this long
  int deliveries_per_pass_max = 10'000;
};

// The seq every consumer has passed: the least cursor, and below the oldest pending webhook
// delivery (whose body is read from the outbox). REQUIRES: consumers is not empty.
std::int64_t OutboxHorizon(EventDelivery& delivery, const std::vector<std::string>& consumers);

// Deletes outbox rows up to the horizon and old finished deliveries, each bounded per call,
// then sets the backlog and row gauges. Returns the outbox rows deleted. Throws what the
// EventDelivery throws.
int PruneOutbox(EventDelivery& delivery, const OutboxPruningOptions& options, UnixMs now_ms,
                EventMetrics& metrics);

// PostgreSQL, where the active relay prunes the outbox as it confirms: deletes old finished
// deliveries and the webhook events no pending delivery needs, each bounded per call, then
// sets the gauges (every outbox row there is backlog). Throws pg::PgError.
void PrunePgEvents(postgres::PgWebhookDeliveries& deliveries, const OutboxPruningOptions& options,
                   UnixMs now_ms, EventMetrics& metrics);

}  // namespace bo
