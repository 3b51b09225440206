#include "events/webhook_dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "codec/resources.h"
#include "common/assert.h"
#include "crypto/webhook_signature.h"

namespace bo {
namespace {

std::string InFlightKey(const std::string& endpoint_id, const std::string& event_id) {
  return endpoint_id + ' ' + event_id;
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(WebhookDeliveries& deliveries, EventDelivery* outbox,
                                     const Clock& clock, Random& random, EventMetrics& metrics,
                                     WebhookDispatcherOptions options)
    : delivery_(deliveries),
      outbox_(outbox),
      clock_(clock),
      random_(random),
      metrics_(metrics),
      options_(std::move(options)),
      tls_(boost::asio::ssl::context::tls_client) {
  BO_ASSERT(options_.poll_interval_ms > 0 && options_.fan_out_events_max > 0);
  BO_ASSERT(options_.fan_out_interval_min_ms >= 0);
  BO_ASSERT(options_.pending_deliveries_max > 0 && options_.in_flight_per_endpoint_max > 0);
  BO_ASSERT(options_.endpoints_max > 0 && options_.http_threads > 0);
  tls_.set_default_verify_paths();
  tls_.set_verify_mode(boost::asio::ssl::verify_peer);
}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  BO_ASSERT(!thread_.joinable());
  work_.emplace(io_.get_executor());
  for (int i = 0; i < options_.http_threads; ++i) io_threads_.emplace_back([this] { io_.run(); });
  thread_ = std::thread([this] { Run(); });
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  work_.reset();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
}

void WebhookDispatcher::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void WebhookDispatcher::Run() {
  try {
    if (outbox_ != nullptr) cursor_ = outbox_->LoadCursor(kConsumerWebhooks);
  } catch (const std::exception& e) {
    spdlog::error("webhooks: cannot read the cursor: {}", e.what());
    return;
  }
  std::vector<Outcome> outcomes;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                   [this] { return stopping_ || woken_ || !outcomes_.empty(); });
      if (stopping_) return;
      if (woken_ && outcomes_.empty()) {
        // Commits close together are fanned out together: one transaction per interval.
        cv_.wait_until(lock,
                       woken_turn_at_ + std::chrono::milliseconds(options_.fan_out_interval_min_ms),
                       [this] { return stopping_; });
        if (stopping_) return;
        woken_turn_at_ = std::chrono::steady_clock::now();
      }
      woken_ = false;
      outcomes.swap(outcomes_);
    }
    size_t recorded = 0;
    try {
      for (; recorded < outcomes.size(); ++recorded) {
        Record(outcomes[recorded], clock_.NowMs());
        Release(outcomes[recorded]);
      }
      std::vector<OutboxEvent> events;
      if (outbox_ != nullptr) events = outbox_->ReadOutbox(cursor_, options_.fan_out_events_max);
      // Read after the events: an endpoint created before one of them committed is listed.
      const auto endpoints = delivery_.ListEndpoints(options_.endpoints_max);
      const bool more_events = FanOut(events, endpoints, clock_.NowMs());
      StartDue(endpoints, clock_.NowMs());
      if (more_events) Wake();  // a backlog is read batch after batch, not once per poll
    } catch (const std::exception& e) {
      // The store is busy or failing: what was not recorded is still pending there.
      spdlog::warn("webhooks: {}", e.what());
      for (size_t i = recorded; i < outcomes.size(); ++i) Release(outcomes[i]);
    }
    outcomes.clear();
    metrics_.webhook_in_flight.Set(static_cast<double>(in_flight_.size()));
  }
}

bool WebhookDispatcher::FanOut(const std::vector<OutboxEvent>& events,
                               const std::vector<WebhookEndpoint>& endpoints, UnixMs now_ms) {
  if (events.empty()) return false;
  std::vector<WebhookDelivery> deliveries;
  deliveries.reserve(events.size() * endpoints.size());
  for (const auto& e : events) {
    for (const auto& endpoint : endpoints) {
      if (endpoint.disabled_at_ms != 0 || !endpoint.Wants(e.event.type)) continue;
      WebhookDelivery d;
      d.endpoint_id = endpoint.id;
      d.event_id = e.event.id;
      d.event_seq = e.seq;
      d.type = e.event.type;
      d.created_at_ms = now_ms;
      d.next_attempt_at_ms = now_ms;
      deliveries.push_back(std::move(d));
    }
  }
  outbox_->FanOut(deliveries, kConsumerWebhooks, events.back().seq);
  cursor_ = events.back().seq;
  return static_cast<int>(events.size()) == options_.fan_out_events_max;
}

void WebhookDispatcher::StartDue(const std::vector<WebhookEndpoint>& endpoints, UnixMs now_ms) {
  if (endpoints.empty()) return;
  // Each endpoint in turn, starting with a different one each time, so that no endpoint's
  // backlog takes every free slot.
  rotation_ = (rotation_ + 1) % endpoints.size();
  for (size_t n = 0; n < endpoints.size(); ++n) {
    const WebhookEndpoint& endpoint = endpoints[(rotation_ + n) % endpoints.size()];
    const int free_slots = options_.pending_deliveries_max - static_cast<int>(in_flight_.size());
    if (free_slots <= 0) return;
    if (endpoint.disabled_at_ms != 0) continue;
    const auto found = in_flight_by_endpoint_.find(endpoint.id);
    const int endpoint_in_flight = found == in_flight_by_endpoint_.end() ? 0 : found->second;
    const int endpoint_slots = options_.in_flight_per_endpoint_max - endpoint_in_flight;
    if (endpoint_slots <= 0) continue;
    // Deliveries under way are still due in a store that does not claim: read past them. A
    // claiming store returns only what it claimed now, all of which is started.
    const int read_past = delivery_.ClaimsDue() ? 0 : endpoint_in_flight;
    const auto due = delivery_.DueDeliveries(endpoint.id, now_ms,
                                             std::min(free_slots, endpoint_slots) + read_past);
    int started = 0;
    for (const auto& d : due) {
      if (started == std::min(free_slots, endpoint_slots)) break;
      if (in_flight_.contains(InFlightKey(d.delivery.endpoint_id, d.delivery.event_id))) continue;
      Start(d, now_ms);
      ++started;
    }
  }
}

void WebhookDispatcher::Start(const DueDelivery& d, UnixMs now_ms) {
  const WebhookDelivery& w = d.delivery;
  const auto secret_key = WebhookSecretKey(d.secret);
  BO_ASSERT(secret_key.has_value());  // validated when the endpoint was created
  WebhookPost post;
  post.url = d.url;
  post.body = ToJson(Event{w.event_id, w.type, d.event_time_ms, d.data_json}, &WriteEvent);
  post.webhook_id = w.event_id;
  post.timestamp_seconds = now_ms / 1000;
  post.signature =
      WebhookSignature(*secret_key, post.webhook_id, post.timestamp_seconds, post.body);
  in_flight_.insert(InFlightKey(w.endpoint_id, w.event_id));
  ++in_flight_by_endpoint_[w.endpoint_id];
  PostWebhook(io_.get_executor(), tls_, std::move(post), options_.client,
              [this, outcome = Outcome{w.endpoint_id, w.event_id, w.created_at_ms, w.attempts, 0,
                                       ""}](int status, const std::string& error) mutable {
                outcome.status = status;
                outcome.error = error;
                {
                  std::lock_guard lock(mu_);
                  outcomes_.push_back(std::move(outcome));
                }
                cv_.notify_all();
              });
}

void WebhookDispatcher::Release(const Outcome& o) {
  in_flight_.erase(InFlightKey(o.endpoint_id, o.event_id));
  const auto found = in_flight_by_endpoint_.find(o.endpoint_id);
  BO_ASSERT(found != in_flight_by_endpoint_.end() && found->second > 0);
  if (--found->second == 0) in_flight_by_endpoint_.erase(found);
}

void WebhookDispatcher::Record(const Outcome& o, UnixMs now_ms) {
  DeliveryAttempt a{o.endpoint_id, o.event_id, o.status, 0, 0};
  if (o.status >= 200 && o.status < 300) {
    a.delivered_at_ms = now_ms;
    metrics_.webhook_delivered.Increment();
  } else if (o.status == 410) {
    metrics_.webhook_gone.Increment();
    spdlog::warn("webhooks: endpoint {} answered 410 Gone: disabled", o.endpoint_id);
    delivery_.RecordAttempt(a);
    delivery_.DisableEndpoint(o.endpoint_id, now_ms);
    return;
  } else {
    metrics_.webhook_failed.Increment();
    a.next_attempt_at_ms =
        NextAttemptAtMs(options_.retry, o.created_at_ms, o.attempts_before + 1, now_ms, random_);
    if (a.next_attempt_at_ms == 0) {
      metrics_.webhook_gave_up.Increment();
      spdlog::warn("webhooks: gave up delivering {} to {} after {} attempts", o.event_id,
                   o.endpoint_id, o.attempts_before + 1);
    }
    if (o.status == 0) {
      spdlog::debug("webhooks: {} to {}: no answer: {}", o.event_id, o.endpoint_id, o.error);
    }
  }
  delivery_.RecordAttempt(a);
}

}  // namespace bo
