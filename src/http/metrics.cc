#include "http/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace bo {
namespace {

prometheus::Counter& CounterOf(prometheus::Registry& r, const std::string& name,
                               const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& GaugeOf(prometheus::Registry& r, const std::string& name,
                           const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Histogram& HistogramOf(prometheus::Registry& r, const std::string& name,
                                   const std::string& help,
                                   const prometheus::Histogram::BucketBoundaries& buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, buckets);
}

// boxoffice_webhook_deliveries_total{result}: delivered (2xx), failed (another status or no
// answer, retried), gone (410, the endpoint is disabled), gave_up (past the retry window).
prometheus::Counter& WebhookResultOf(prometheus::Registry& r, const std::string& result) {
  return prometheus::BuildCounter()
      .Name("boxoffice_webhook_deliveries_total")
      .Help("Webhook delivery attempts by result")
      .Register(r)
      .Add({{"result", result}});
}

}  // namespace

Metrics::Metrics() : Metrics(std::make_shared<prometheus::Registry>()) {}

Metrics::Metrics(std::shared_ptr<prometheus::Registry> r)
    : holds_seats(CounterOf(*r, "boxoffice_holds_seats_total", "Seated reservations created")),
      holds_units(
          CounterOf(*r, "boxoffice_holds_units_total", "General-admission reservations created")),
      holds_refused(CounterOf(*r, "boxoffice_holds_refused_total",
                              "Reservations refused: seat unavailable or sold out")),
      sales(CounterOf(*r, "boxoffice_sales_total", "Payments completed")),
      tickets_issued(CounterOf(*r, "boxoffice_tickets_issued_total", "Tickets issued")),
      cancellations(CounterOf(*r, "boxoffice_cancellations_total", "Reservations cancelled")),
      expiries(CounterOf(*r, "boxoffice_expiries_total", "Holds expired")),
      wallet_charges(CounterOf(*r, "boxoffice_wallet_charges_total", "Wallet charges")),
      writer_queue_jobs(GaugeOf(*r, "boxoffice_store_writer_queue_jobs",
                                "Write jobs waiting for the store's writer")),
      writer_transactions(GaugeOf(*r, "boxoffice_store_transactions_committed",
                                  "Transactions the store's writer committed")),
      writer_jobs(GaugeOf(*r, "boxoffice_store_write_jobs", "Write jobs the store's writer ran")),
      writer_batches_run_singly(
          GaugeOf(*r, "boxoffice_store_batches_run_singly",
                  "Batches run side by side at first, then again one job at a time")),
      queue_tokens_issued(
          CounterOf(*r, "boxoffice_queue_tokens_issued_total", "Queue tokens issued")),
      queue_admitted(CounterOf(*r, "boxoffice_queue_admitted_total",
                               "Queue tokens admitted (WAITING to ACTIVE)")),
      queue_expired(CounterOf(*r, "boxoffice_queue_expired_total",
                              "ACTIVE queue tokens that expired unused")),
      queue_ended(
          CounterOf(*r, "boxoffice_queue_ended_total", "ACTIVE queue tokens ended by a payment")),
      queue_rate_limited(CounterOf(*r, "boxoffice_queue_rate_limited_total",
                                   "Queue token requests refused by a rate limit")),
      queue_gate_refused(CounterOf(*r, "boxoffice_queue_gate_refused_total",
                                   "Reservations and payments refused by the queue gate")),
      queue_waiting(GaugeOf(*r, "boxoffice_queue_waiting", "Queue tokens waiting")),
      queue_active(GaugeOf(*r, "boxoffice_queue_active", "Queue tokens ACTIVE")),
      queue_streams(GaugeOf(*r, "boxoffice_queue_event_streams", "Open queue event streams")),
      queue_wait_seconds(
          HistogramOf(*r, "boxoffice_queue_wait_seconds",
                      "Time from joining a waiting room (or its opening) to admission",
                      {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200})),
      events{GaugeOf(*r, "boxoffice_outbox_backlog_events",
                     "Outbox events that some consumer (NATS, webhooks) has not passed yet"),
             GaugeOf(*r, "boxoffice_outbox_rows", "Outbox rows not yet pruned"),
             CounterOf(*r, "boxoffice_nats_published_total", "Events JetStream acknowledged"),
             CounterOf(*r, "boxoffice_nats_duplicates_total",
                       "Events JetStream acknowledged as duplicates of earlier publishes"),
             HistogramOf(*r, "boxoffice_nats_publish_lag_ms",
                         "Milliseconds from an event's commit to JetStream's acknowledgement",
                         {1,   2,   3,   5,    7,    10,   15,    20,    30,    50,     75,     100,
                          150, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 3600000}),
             WebhookResultOf(*r, "delivered"),
             WebhookResultOf(*r, "failed"),
             WebhookResultOf(*r, "gone"),
             WebhookResultOf(*r, "gave_up"),
             GaugeOf(*r, "boxoffice_webhook_attempts_in_flight", "Webhook attempts under way"),
             GaugeOf(*r, "boxoffice_relay_active",
                     "1 while this instance is the active PostgreSQL outbox relay, else 0"),
             GaugeOf(*r, "boxoffice_relay_lag_bytes",
                     "WAL bytes between the server's end and the relay's confirmed position"),
             GaugeOf(*r, "boxoffice_relay_unconfirmed_events",
                     "Streamed outbox events the active relay has not confirmed yet")},
      registry_(r),
      requests_(prometheus::BuildCounter()
                    .Name("boxoffice_http_requests_total")
                    .Help("HTTP requests by route, method and status")
                    .Register(*r)),
      latency_(prometheus::BuildHistogram()
                   .Name("boxoffice_http_request_duration_seconds")
                   .Help("HTTP request latency by route, from parsed request to response")
                   .Register(*r)) {}

Metrics::RequestSeries Metrics::SeriesOf(const std::string& route, const std::string& method,
                                         int status) {
  std::string key = route;
  key.push_back(' ');
  key.append(method).push_back(' ');
  key.append(std::to_string(status));
  {
    std::shared_lock lock(series_mu_);
    if (auto it = series_.find(key); it != series_.end()) return it->second;
  }
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  std::unique_lock lock(series_mu_);
  RequestSeries series{
      &requests_.Add({{"route", route}, {"method", method}, {"status", std::to_string(status)}}),
      &latency_.Add({{"route", route}, {"method", method}}, kBuckets)};
  series_.emplace(std::move(key), series);
  return series;
}

void Metrics::ObserveRequest(const std::string& route, const std::string& method, int status,
                             std::chrono::steady_clock::duration elapsed) {
  const RequestSeries series = SeriesOf(route, method, status);
  series.requests->Increment();
  series.latency->Observe(std::chrono::duration<double>(elapsed).count());
}

std::string Metrics::Serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace bo
