// The server's Prometheus metrics: requests by route and status, latency histograms, and the
// business counters (holds, sales, expiries). Scraped at GET /metrics.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>

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
  prometheus::Gauge& writer_queue_jobs;    // set when scraped
  prometheus::Gauge& writer_transactions;  // set when scraped
  prometheus::Gauge& writer_jobs;          // set when scraped

  // The text exposition of every metric.
  std::string Serialize() const;

 private:
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace bo
