// Delivers the outbox to webhook endpoints, off the request path.
//
// One dispatcher thread loops, woken by Wake() (events committed), by finished attempts, or
// every poll_interval_ms (retries falling due): given the outbox, it fans new outbox events out
// to a delivery row per matching endpoint and saves its cursor in the same transaction (so a
// crash replays events rather than losing them: receivers deduplicate by webhook-id); without
// it, another component fans out (on PostgreSQL, the active outbox relay). It then starts the
// due deliveries on
// its own io_context (http_threads threads) and records each outcome: 2xx delivered, 410 Gone
// disables the endpoint, anything else (or no answer within the timeout) is retried by
// RetrySchedule. At most pending_deliveries_max attempts are in memory at once, at most
// in_flight_per_endpoint_max per endpoint, so a slow or dead receiver holds up only its own
// share; the durable state of every delivery is in EventDelivery.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "events/event_metrics.h"
#include "events/retry_schedule.h"
#include "events/webhook_client.h"
#include "ports/clock.h"
#include "ports/event_delivery.h"
#include "ports/random.h"

namespace bo {

struct WebhookDispatcherOptions {
  int poll_interval_ms = 1'000;        // how often the outbox and due deliveries are read unwoken
  int fan_out_interval_min_ms = 10;    // between fan-outs woken by commits (they share one)
  int fan_out_events_max = 256;        // outbox events per fan-out transaction
  int pending_deliveries_max = 256;    // attempts in memory (under way) at once
  int in_flight_per_endpoint_max = 8;  // attempts under way per endpoint
  int endpoints_max = 100;             // endpoints read per fan-out
  int http_threads = 1;
  WebhookClientOptions client;
  RetrySchedule retry;
};

class WebhookDispatcher {
 public:
  // `outbox` null: the dispatcher only attempts the deliveries another component fanned out.
  // REQUIRES: every reference (and `outbox`) outlives the dispatcher.
  WebhookDispatcher(WebhookDeliveries& deliveries, EventDelivery* outbox, const Clock& clock,
                    Random& random, EventMetrics& metrics, WebhookDispatcherOptions options);
  ~WebhookDispatcher();  // Stop()s

  // Starts the dispatcher and HTTP threads. REQUIRES: not started before.
  void Start();

  // Makes the dispatcher read the outbox now (new events were committed). Any thread; cheap.
  void Wake();

  // Stops the threads. Attempts under way are abandoned: they stay pending in the store and
  // are made again after the next Start. Idempotent.
  void Stop();

 private:
  struct Outcome {
    std::string endpoint_id;
    std::string event_id;
    UnixMs created_at_ms;
    int attempts_before;
    int status;
    std::string error;
  };

  void Run();
  // Fans out one batch of outbox events read (at most fan_out_events_max) to `endpoints`,
  // listed after the events were read; returns whether the batch was full (more may wait).
  bool FanOut(const std::vector<OutboxEvent>& events, const std::vector<WebhookEndpoint>& endpoints,
              UnixMs now_ms);
  void StartDue(const std::vector<WebhookEndpoint>& endpoints, UnixMs now_ms);
  void Start(const DueDelivery& due, UnixMs now_ms);
  void Record(const Outcome& outcome, UnixMs now_ms);
  void Release(const Outcome& outcome);

  WebhookDeliveries& delivery_;
  EventDelivery* const outbox_;
  const Clock& clock_;
  Random& random_;
  EventMetrics& metrics_;
  const WebhookDispatcherOptions options_;

  boost::asio::ssl::context tls_;  // outlives the exchanges that io_ may still hold
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;  // Wake() was called since the dispatcher last looked
  std::chrono::steady_clock::time_point woken_turn_at_;  // of the last turn a wake-up began
  std::vector<Outcome> outcomes_;  // finished attempts, for the dispatcher thread to record

  // Owned by the dispatcher thread.
  std::int64_t cursor_ = 0;
  size_t rotation_ = 0;                        // the endpoint served first, in turn
  std::unordered_set<std::string> in_flight_;  // endpoint_id + ' ' + event_id
  std::unordered_map<std::string, int> in_flight_by_endpoint_;
};

}  // namespace bo
