// The metrics of event delivery, registered by http/metrics.h and scraped at GET /metrics.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace bo {

struct EventMetrics {
  prometheus::Gauge& outbox_backlog;           // outbox events some consumer has not yet passed
  prometheus::Gauge& outbox_rows;              // outbox rows not yet pruned
  prometheus::Counter& nats_published;         // events JetStream acknowledged
  prometheus::Counter& nats_duplicates;        // of those, acknowledged as duplicates
  prometheus::Histogram& nats_publish_lag_ms;  // from the event's time to JetStream's ack
  prometheus::Counter& webhook_delivered;      // attempts answered 2xx
  prometheus::Counter& webhook_failed;         // attempts answered otherwise or not at all
  prometheus::Counter& webhook_gone;           // attempts answered 410: the endpoint is disabled
  prometheus::Counter& webhook_gave_up;        // deliveries given up after the retry window
  prometheus::Gauge& webhook_in_flight;        // attempts under way
  // The PostgreSQL outbox relay (adapters/postgres_relay).
  prometheus::Gauge& relay_active;       // 1 while this instance holds the stream
  prometheus::Gauge& relay_lag_bytes;    // WAL from the confirmed position to the end
  prometheus::Gauge& relay_unconfirmed;  // streamed events not yet confirmed
};

}  // namespace bo
