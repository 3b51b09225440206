// The server's Prometheus metrics: requests by route and status, latency histograms, the
// business counters (holds, sales, expiries) and the waiting room's. Scraped at GET /metrics.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "events/event_metrics.h"

namespace bo {

class Metrics {
 public:
  Metrics();

  void ObserveRequest(const std::string& route, const std::string& method, int status,
                      std::chrono::steady_clock::duration elapsed);

  prometheus::Counter& holds_seats;    // seated reservations created
  prometheus::Counter& holds_units;    // general-admission reservations created
  prometheus::Counter& holds_refused;  // 409 SEAT_UNAVAILABLE / SOLD_OUT
  prometheus::Counter& sales;          // payments completed
  prometheus::Counter& tickets_issued;
  prometheus::Counter& cancellations;
  prometheus::Counter& expiries;
  prometheus::Counter& wallet_charges;
  prometheus::Gauge& writer_queue_jobs;          // set when scraped
  prometheus::Gauge& writer_transactions;        // set when scraped
  prometheus::Gauge& writer_jobs;                // set when scraped
  prometheus::Gauge& writer_batches_run_singly;  // set when scraped; PostgreSQL only

  // The waiting room. Admitted per second is rate(boxoffice_queue_admitted_total).
  prometheus::Counter& queue_tokens_issued;   // new queue tokens
  prometheus::Counter& queue_admitted;        // WAITING -> ACTIVE (by this instance's rounds)
  prometheus::Counter& queue_expired;         // ACTIVE tokens unused for their TTL
  prometheus::Counter& queue_ended;           // ACTIVE tokens ended by a payment
  prometheus::Counter& queue_rate_limited;    // token requests refused with 429
  prometheus::Counter& queue_gate_refused;    // gated requests refused with 403
  prometheus::Gauge& queue_waiting;           // set when scraped
  prometheus::Gauge& queue_active;            // set when scraped
  prometheus::Gauge& queue_streams;           // open event streams of this instance
  prometheus::Histogram& queue_wait_seconds;  // from joining (or the opening) to admission

  EventMetrics events;  // the outbox, NATS publishing and webhook deliveries

  // The text exposition of every metric.
  std::string Serialize() const;

 private:
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry);

  // The count and latency of one route, method and status.
  struct RequestSeries {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
  };
  RequestSeries SeriesOf(const std::string& route, const std::string& method, int status);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  // Every request looks its series up here, under a shared lock: a family's Add builds a
  // metric (buckets and all) and takes the family's one mutex on every call. Bounded by the
  // routes, their methods and the statuses they answer.
  std::shared_mutex series_mu_;
  std::unordered_map<std::string, RequestSeries> series_;  // "route method status"
};

}  // namespace bo
