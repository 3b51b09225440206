#include "adapters/sqlite/event_delivery.h"

#include "adapters/webhook_rows.h"
#include "common/assert.h"

namespace bo::sqlite {
namespace {

constexpr const char* kEndpointColumns = "SELECT " BO_ENDPOINT_COLUMNS " FROM webhook_endpoints";

}  // namespace

SqliteEventDelivery::SqliteEventDelivery(const std::string& path)
    : db_(std::make_unique<Db>(path, /*read_only=*/false)) {}

template <class F>
void SqliteEventDelivery::InTransaction(F&& body) {
  db_->Prepare("BEGIN IMMEDIATE").Exec();
  try {
    body();
    db_->Prepare("COMMIT").Exec();
  } catch (...) {
    if (!sqlite3_get_autocommit(db_->raw())) db_->Exec("ROLLBACK");
    throw;
  }
}

std::vector<OutboxEvent> SqliteEventDelivery::ReadOutbox(std::int64_t after_seq, int limit) {
  BO_ASSERT(limit > 0);
  std::lock_guard lock(mu_);
  auto q = db_->Prepare(
      "SELECT seq, id, type, time_ms, data FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  q.Bind(1, after_seq).Bind(2, limit);
  std::vector<OutboxEvent> out;
  out.reserve(static_cast<size_t>(limit));
  while (q.Step()) {
    out.push_back(OutboxEvent{q.Int(0), Event{q.Text(1), q.Text(2), q.Int(3), q.Text(4)}});
  }
  return out;
}

OutboxState SqliteEventDelivery::Outbox() {
  std::lock_guard lock(mu_);
  OutboxState state;
  {
    auto q = db_->Prepare("SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM outbox");
    if (q.Step()) {
      state.last_seq = q.Int(0);
      state.rows = q.Int(1);
    }
  }
  if (state.last_seq == 0) {  // an empty outbox still has a position once rows were pruned
    auto q = db_->Prepare("SELECT through_seq FROM outbox_pruned");
    if (q.Step()) state.last_seq = q.Int(0);
  }
  return state;
}

std::int64_t SqliteEventDelivery::LoadCursor(std::string_view consumer) {
  std::lock_guard lock(mu_);
  auto q = db_->Prepare("SELECT seq FROM outbox_cursors WHERE consumer = ?1");
  q.Bind(1, consumer);
  return q.Step() ? q.Int(0) : 0;
}

void SqliteEventDelivery::SaveCursorLocked(std::string_view consumer, std::int64_t seq) {
  auto q = db_->Prepare(
      "INSERT INTO outbox_cursors(consumer, seq) VALUES (?1, ?2)"
      " ON CONFLICT(consumer) DO UPDATE SET seq = MAX(seq, excluded.seq)");
  q.Bind(1, consumer).Bind(2, seq);
  q.Exec();
}

void SqliteEventDelivery::SaveCursor(std::string_view consumer, std::int64_t seq) {
  std::lock_guard lock(mu_);
  SaveCursorLocked(consumer, seq);
}

int SqliteEventDelivery::PruneOutbox(std::int64_t through_seq, int limit) {
  BO_ASSERT(limit > 0);
  std::lock_guard lock(mu_);
  int pruned = 0;
  InTransaction([&] {
    std::int64_t last_seq = 0;
    std::int64_t last_time_ms = 0;
    {
      auto q = db_->Prepare(
          "SELECT MAX(seq), MAX(time_ms) FROM (SELECT seq, time_ms FROM outbox"
          " WHERE seq <= ?1 ORDER BY seq LIMIT ?2)");
      q.Bind(1, through_seq).Bind(2, limit);
      if (!q.Step() || q.IsNull(0)) return;
      last_seq = q.Int(0);
      last_time_ms = q.Int(1);
    }
    auto del = db_->Prepare("DELETE FROM outbox WHERE seq <= ?1");
    del.Bind(1, last_seq);
    pruned = del.Exec();
    auto mark = db_->Prepare(
        "INSERT INTO outbox_pruned(one, through_seq, through_time_ms) VALUES (1, ?1, ?2)"
        " ON CONFLICT(one) DO UPDATE SET through_seq = MAX(through_seq, excluded.through_seq),"
        " through_time_ms = MAX(through_time_ms, excluded.through_time_ms)");
    mark.Bind(1, last_seq).Bind(2, last_time_ms);
    mark.Exec();
  });
  return pruned;
}

void SqliteEventDelivery::InsertEndpoint(const WebhookEndpoint& e) {
  std::lock_guard lock(mu_);
  auto q = db_->Prepare(
      "INSERT INTO webhook_endpoints(id, url, events, secret, created_at_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  q.Bind(1, e.id).Bind(2, e.url).Bind(3, JoinEventTypes(e.event_types)).Bind(4, e.secret);
  q.Bind(5, e.created_at_ms);
  q.Exec();
}

std::vector<WebhookEndpoint> SqliteEventDelivery::ListEndpoints(int limit) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(kEndpointColumns) + " ORDER BY id LIMIT ?1";
  auto q = db_->Prepare(sql.c_str());
  q.Bind(1, limit);
  std::vector<WebhookEndpoint> out;
  while (q.Step()) out.push_back(EndpointFrom(q));
  return out;
}

std::optional<WebhookEndpoint> SqliteEventDelivery::FindEndpoint(std::string_view id) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(kEndpointColumns) + " WHERE id = ?1";
  auto q = db_->Prepare(sql.c_str());
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return EndpointFrom(q);
}

bool SqliteEventDelivery::DeleteEndpoint(std::string_view id) {
  std::lock_guard lock(mu_);
  bool existed = false;
  InTransaction([&] {
    auto q = db_->Prepare("DELETE FROM webhook_endpoints WHERE id = ?1");
    q.Bind(1, id);
    existed = q.Exec() > 0;
    auto d = db_->Prepare("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1");
    d.Bind(1, id);
    d.Exec();
  });
  return existed;
}

void SqliteEventDelivery::DisableEndpoint(std::string_view id, UnixMs now_ms) {
  std::lock_guard lock(mu_);
  InTransaction([&] {
    auto q = db_->Prepare(
        "UPDATE webhook_endpoints SET disabled_at_ms = ?2 WHERE id = ?1 AND disabled_at_ms IS "
        "NULL");
    q.Bind(1, id).Bind(2, now_ms);
    q.Exec();
    auto d = db_->Prepare(
        "UPDATE webhook_deliveries SET next_attempt_at_ms = NULL"
        " WHERE endpoint_id = ?1 AND next_attempt_at_ms IS NOT NULL");
    d.Bind(1, id);
    d.Exec();
  });
}

void SqliteEventDelivery::FanOut(const std::vector<WebhookDelivery>& deliveries,
                                 std::string_view consumer, std::int64_t through_seq) {
  std::lock_guard lock(mu_);
  InTransaction([&] {
    for (const auto& d : deliveries) {
      auto q = db_->Prepare(
          "INSERT OR IGNORE INTO webhook_deliveries(endpoint_id, event_id, event_seq, type,"
          " created_at_ms, next_attempt_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      q.Bind(1, d.endpoint_id).Bind(2, d.event_id).Bind(3, d.event_seq).Bind(4, d.type);
      q.Bind(5, d.created_at_ms).Bind(6, d.next_attempt_at_ms);
      q.Exec();
    }
    SaveCursorLocked(consumer, through_seq);
  });
}

std::vector<DueDelivery> SqliteEventDelivery::DueDeliveries(std::string_view endpoint_id,
                                                            UnixMs now_ms, int limit) {
  BO_ASSERT(limit > 0);
  std::lock_guard lock(mu_);
  auto q = db_->Prepare("SELECT " BO_DELIVERY_COLUMNS
                        ", e.url, e.secret, o.time_ms, o.data FROM webhook_deliveries d"
                        " JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                        " JOIN outbox o ON o.seq = d.event_seq"
                        " WHERE d.endpoint_id = ?1 AND d.next_attempt_at_ms IS NOT NULL"
                        " AND d.next_attempt_at_ms <= ?2 AND e.disabled_at_ms IS NULL"
                        " ORDER BY d.next_attempt_at_ms, d.event_seq LIMIT ?3");
  q.Bind(1, endpoint_id).Bind(2, now_ms).Bind(3, limit);
  std::vector<DueDelivery> out;
  while (q.Step()) {
    out.push_back(DueDeliveryFrom(q));
  }
  return out;
}

void SqliteEventDelivery::RecordAttempt(const DeliveryAttempt& a) {
  BO_ASSERT(a.delivered_at_ms == 0 || a.next_attempt_at_ms == 0);
  std::lock_guard lock(mu_);
  auto q = db_->Prepare(
      "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?3,"
      " delivered_at_ms = ?4, next_attempt_at_ms = ?5"
      " WHERE endpoint_id = ?1 AND event_id = ?2 AND next_attempt_at_ms IS NOT NULL");
  q.Bind(1, a.endpoint_id).Bind(2, a.event_id).Bind(3, a.status);
  if (a.delivered_at_ms != 0) {
    q.Bind(4, a.delivered_at_ms);
  } else {
    q.BindNull(4);
  }
  if (a.next_attempt_at_ms != 0) {
    q.Bind(5, a.next_attempt_at_ms);
  } else {
    q.BindNull(5);
  }
  q.Exec();
}

std::vector<WebhookDelivery> SqliteEventDelivery::ListDeliveries(std::string_view endpoint_id,
                                                                 int limit) {
  std::lock_guard lock(mu_);
  auto q = db_->Prepare("SELECT " BO_DELIVERY_COLUMNS
                        " FROM webhook_deliveries d WHERE d.endpoint_id = ?1"
                        " ORDER BY d.event_seq DESC LIMIT ?2");
  q.Bind(1, endpoint_id).Bind(2, limit);
  std::vector<WebhookDelivery> out;
  while (q.Step()) out.push_back(DeliveryFrom(q));
  return out;
}

std::optional<std::int64_t> SqliteEventDelivery::OldestPendingSeq() {
  std::lock_guard lock(mu_);
  auto q = db_->Prepare(
      "SELECT MIN(event_seq) FROM webhook_deliveries WHERE next_attempt_at_ms IS NOT NULL");
  if (!q.Step() || q.IsNull(0)) return std::nullopt;
  return q.Int(0);
}

int SqliteEventDelivery::PruneDeliveries(UnixMs before_ms, int limit) {
  std::lock_guard lock(mu_);
  auto q = db_->Prepare(
      "DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries"
      " WHERE next_attempt_at_ms IS NULL AND created_at_ms < ?1 LIMIT ?2)");
  q.Bind(1, before_ms).Bind(2, limit);
  return q.Exec();
}

}  // namespace bo::sqlite
