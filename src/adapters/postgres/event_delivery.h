// The WebhookDeliveries port on the shared PostgreSQL database, for every instance at once.
//
// Several instances attempt deliveries concurrently: DueDeliveries claims what it returns
// (FOR UPDATE SKIP LOCKED, then moves next_attempt_at_ms a lease ahead), so that no other
// instance attempts the same delivery while this one does; an instance that dies mid-attempt
// leaves its claims to lapse after the lease, and another attempts them then. The fan-out that
// creates deliveries is the outbox relay's (adapters/postgres_relay/outbox_relay.h); the
// events' bodies are read from webhook_events, which it fills.
//
// One blocking connection, one call at a time, replaced when lost; a call that cannot reach
// the database throws pg::PgError (the HTTP layer answers 503).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "adapters/postgres/connection.h"
#include "ports/event_delivery.h"

namespace bo::postgres {

struct PgWebhookDeliveriesOptions {
  std::string url;                       // postgres://user@host:port/db
  std::int64_t claim_lease_ms = 60'000;  // > the webhook client's timeout (10 s)
};

class PgWebhookDeliveries final : public WebhookDeliveries {
 public:
  // Connects on first use. REQUIRES: the migrations are applied; claim_lease_ms > 0.
  explicit PgWebhookDeliveries(PgWebhookDeliveriesOptions options);

  void InsertEndpoint(const WebhookEndpoint& endpoint) override;
  std::vector<WebhookEndpoint> ListEndpoints(int limit) override;
  std::optional<WebhookEndpoint> FindEndpoint(std::string_view id) override;
  bool DeleteEndpoint(std::string_view id) override;
  void DisableEndpoint(std::string_view id, UnixMs now_ms) override;
  std::vector<DueDelivery> DueDeliveries(std::string_view endpoint_id, UnixMs now_ms,
                                         int limit) override;
  bool ClaimsDue() const override { return true; }
  void RecordAttempt(const DeliveryAttempt& attempt) override;
  std::vector<WebhookDelivery> ListDeliveries(std::string_view endpoint_id, int limit) override;
  int PruneDeliveries(UnixMs before_ms, int limit) override;

  // Deletes events no pending delivery needs any more, at most `limit`. Returns how many.
  int PruneWebhookEvents(int limit);
  // Outbox rows not yet pruned (every one is backlog: the relay prunes what it passed).
  std::int64_t OutboxRows();

 private:
  // Runs `body` on the connection (opened if needed); drops the connection if it was lost.
  template <class F>
  auto With(F&& body) -> decltype(body(std::declval<pg::Connection&>()));

  const PgWebhookDeliveriesOptions options_;
  std::mutex mu_;
  std::unique_ptr<pg::Connection> conn_;
};

}  // namespace bo::postgres
