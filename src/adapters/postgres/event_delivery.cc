#include "adapters/postgres/event_delivery.h"

#include "adapters/webhook_rows.h"
#include "common/assert.h"

namespace bo::postgres {
namespace {

constexpr const char* kSelectEndpoints = "SELECT " BO_ENDPOINT_COLUMNS " FROM webhook_endpoints";

std::string Text(std::int64_t v) { return std::to_string(v); }

// Runs `body` between BEGIN and COMMIT, rolling back if it throws (unless the connection is
// gone, which rolls back by itself).
template <class F>
void InTransaction(pg::Connection& c, F&& body) {
  c.Exec("BEGIN").Check("BEGIN");
  try {
    body();
    c.Exec("COMMIT").Check("COMMIT");
  } catch (...) {
    if (!c.broken()) (void)c.Exec("ROLLBACK");
    throw;
  }
}

}  // namespace

PgWebhookDeliveries::PgWebhookDeliveries(PgWebhookDeliveriesOptions options)
    : options_(std::move(options)) {
  BO_ASSERT(options_.claim_lease_ms > 0);
}

template <class F>
auto PgWebhookDeliveries::With(F&& body) -> decltype(body(std::declval<pg::Connection&>())) {
  std::lock_guard lock(mu_);
  if (conn_ != nullptr && conn_->broken()) conn_.reset();
  if (conn_ == nullptr) {
    auto opened = pg::Connection::Open(options_.url);
    if (!opened.ok()) throw pg::PgError(std::string(pg::kConnectionFailure), opened.error().detail);
    conn_ = std::move(*opened);
  }
  try {
    return body(*conn_);
  } catch (const pg::PgError& e) {
    if (e.connection_lost() || conn_->broken()) conn_.reset();
    throw;
  }
}

void PgWebhookDeliveries::InsertEndpoint(const WebhookEndpoint& e) {
  With([&](pg::Connection& c) {
    c.RunOnce(
         "INSERT INTO webhook_endpoints(id, url, events, secret, created_at_ms)"
         " VALUES ($1, $2, $3, $4, $5::bigint)",
         {e.id, e.url, JoinEventTypes(e.event_types), e.secret, Text(e.created_at_ms)})
        .Check("inserting a webhook endpoint");
  });
}

std::vector<WebhookEndpoint> PgWebhookDeliveries::ListEndpoints(int limit) {
  return With([&](pg::Connection& c) {
    static const std::string sql = std::string(kSelectEndpoints) + " ORDER BY id LIMIT $1::int";
    const pg::Reply r = c.RunOnce(sql.c_str(), {Text(limit)});
    r.Check("listing webhook endpoints");
    std::vector<WebhookEndpoint> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(EndpointFrom(pg::Row(r, i)));
    return out;
  });
}

std::optional<WebhookEndpoint> PgWebhookDeliveries::FindEndpoint(std::string_view id) {
  return With([&](pg::Connection& c) -> std::optional<WebhookEndpoint> {
    static const std::string sql = std::string(kSelectEndpoints) + " WHERE id = $1";
    const pg::Reply r = c.RunOnce(sql.c_str(), {id});
    r.Check("finding a webhook endpoint");
    if (r.rows() == 0) return std::nullopt;
    return EndpointFrom(pg::Row(r, 0));
  });
}

bool PgWebhookDeliveries::DeleteEndpoint(std::string_view id) {
  return With([&](pg::Connection& c) {
    // Its deliveries go with it (ON DELETE CASCADE).
    const pg::Reply r = c.RunOnce("DELETE FROM webhook_endpoints WHERE id = $1", {id});
    r.Check("deleting a webhook endpoint");
    return r.affected_rows() > 0;
  });
}

void PgWebhookDeliveries::DisableEndpoint(std::string_view id, UnixMs now_ms) {
  With([&](pg::Connection& c) {
    InTransaction(c, [&] {
      c.RunOnce(
           "UPDATE webhook_endpoints SET disabled_at_ms = $2::bigint"
           " WHERE id = $1 AND disabled_at_ms IS NULL",
           {id, Text(now_ms)})
          .Check("disabling a webhook endpoint");
      c.RunOnce(
           "UPDATE webhook_deliveries SET next_attempt_at_ms = NULL"
           " WHERE endpoint_id = $1 AND next_attempt_at_ms IS NOT NULL",
           {id})
          .Check("giving up an endpoint's deliveries");
    });
  });
}

std::vector<DueDelivery> PgWebhookDeliveries::DueDeliveries(std::string_view endpoint_id,
                                                            UnixMs now_ms, int limit) {
  BO_ASSERT(limit > 0);
  return With([&](pg::Connection& c) {
    // Claimed rows are locked until this statement commits, so that two instances never
    // claim one row; the lease then keeps it from being due elsewhere.
    const pg::Reply r = c.RunOnce(
        "WITH due AS ("
        "  SELECT d.endpoint_id, d.event_id, d.next_attempt_at_ms FROM webhook_deliveries d"
        "  JOIN webhook_endpoints e ON e.id = d.endpoint_id"
        "  WHERE d.endpoint_id = $1 AND d.next_attempt_at_ms IS NOT NULL"
        "  AND d.next_attempt_at_ms <= $2::bigint AND e.disabled_at_ms IS NULL"
        "  ORDER BY d.next_attempt_at_ms, d.event_seq LIMIT $3::int"
        "  FOR UPDATE OF d SKIP LOCKED),"
        " claimed AS ("
        "  UPDATE webhook_deliveries d SET next_attempt_at_ms = $2::bigint + $4::bigint"
        "  FROM due WHERE d.endpoint_id = due.endpoint_id AND d.event_id = due.event_id"
        "  RETURNING d.*, due.next_attempt_at_ms AS due_at_ms)"
        " SELECT " BO_DELIVERY_COLUMNS
        ", e.url, e.secret, w.time_ms, w.data FROM claimed d"
        " JOIN webhook_endpoints e ON e.id = d.endpoint_id"
        " JOIN webhook_events w ON w.seq = d.event_seq"
        " ORDER BY d.due_at_ms, d.event_seq",
        {endpoint_id, Text(now_ms), Text(limit), Text(options_.claim_lease_ms)});
    r.Check("claiming due webhook deliveries");
    std::vector<DueDelivery> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(DueDeliveryFrom(pg::Row(r, i)));
    return out;
  });
}

void PgWebhookDeliveries::RecordAttempt(const DeliveryAttempt& a) {
  BO_ASSERT(a.delivered_at_ms == 0 || a.next_attempt_at_ms == 0);
  With([&](pg::Connection& c) {
    c.RunOnce(
         "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $3::int,"
         " delivered_at_ms = NULLIF($4, '')::bigint, next_attempt_at_ms = NULLIF($5, '')::bigint"
         " WHERE endpoint_id = $1 AND event_id = $2 AND next_attempt_at_ms IS NOT NULL",
         {a.endpoint_id, a.event_id, Text(a.status),
          a.delivered_at_ms != 0 ? Text(a.delivered_at_ms) : std::string(),
          a.next_attempt_at_ms != 0 ? Text(a.next_attempt_at_ms) : std::string()})
        .Check("recording a webhook attempt");
  });
}

std::vector<WebhookDelivery> PgWebhookDeliveries::ListDeliveries(std::string_view endpoint_id,
                                                                 int limit) {
  return With([&](pg::Connection& c) {
    const pg::Reply r = c.RunOnce("SELECT " BO_DELIVERY_COLUMNS
                                  " FROM webhook_deliveries d WHERE d.endpoint_id = $1"
                                  " ORDER BY d.event_seq DESC LIMIT $2::int",
                                  {endpoint_id, Text(limit)});
    r.Check("listing webhook deliveries");
    std::vector<WebhookDelivery> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(DeliveryFrom(pg::Row(r, i)));
    return out;
  });
}

int PgWebhookDeliveries::PruneDeliveries(UnixMs before_ms, int limit) {
  return With([&](pg::Connection& c) {
    const pg::Reply r = c.RunOnce(
        "DELETE FROM webhook_deliveries WHERE ctid IN (SELECT ctid FROM webhook_deliveries"
        " WHERE next_attempt_at_ms IS NULL AND created_at_ms < $1::bigint LIMIT $2::int)",
        {Text(before_ms), Text(limit)});
    r.Check("pruning webhook deliveries");
    return static_cast<int>(r.affected_rows());
  });
}

int PgWebhookDeliveries::PruneWebhookEvents(int limit) {
  return With([&](pg::Connection& c) {
    const pg::Reply r = c.RunOnce(
        "DELETE FROM webhook_events WHERE seq IN (SELECT w.seq FROM webhook_events w"
        " WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = w.seq"
        " AND d.next_attempt_at_ms IS NOT NULL) LIMIT $1::int)",
        {Text(limit)});
    r.Check("pruning webhook events");
    return static_cast<int>(r.affected_rows());
  });
}

std::int64_t PgWebhookDeliveries::OutboxRows() {
  return With([&](pg::Connection& c) {
    const pg::Reply r = c.Exec("SELECT COUNT(*) FROM outbox");
    r.Check("counting outbox rows");
    return r.Int64(0, 0);
  });
}

}  // namespace bo::postgres
