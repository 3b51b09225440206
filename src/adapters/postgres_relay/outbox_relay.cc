#include "adapters/postgres_relay/outbox_relay.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "adapters/postgres/array_param.h"
#include "adapters/webhook_rows.h"
#include "common/assert.h"

namespace bo::postgres_relay {
namespace {

using pg::IntArray;
using pg::TextArray;

// The advisory lock of the active relay: (this class, hashtext(slot name)).
constexpr const char* kLockClass = "7093021";
// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
constexpr std::int64_t kPostgresEpochUs = 946'684'800'000'000;

std::string Text(std::int64_t v) { return std::to_string(v); }

// boxoffice_<database name>, lowercased, anything but [a-z0-9_] as '_', at most 63 bytes.
std::string SlotNameFor(const std::string& database) {
  std::string out = "boxoffice_";
  for (char c : database) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
  }
  return out.substr(0, 63);
}

}  // namespace

OutboxRelay::OutboxRelay(OutboxRelayOptions options, const Clock& clock, EventMetrics& metrics,
                         std::function<void()> on_streamed, std::function<void()> on_fanned_out)
    : options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      on_streamed_(std::move(on_streamed)),
      on_fanned_out_(std::move(on_fanned_out)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      buffer_(options_.publishing, options_.buffer_events_max, [this] {
        const std::uint64_t one = 1;
        (void)!::write(wake_fd_, &one, sizeof one);
      }) {
  BO_ASSERT(!options_.url.empty() && options_.takeover_retry_ms > 0);
  BO_ASSERT(options_.status_interval_ms > 0 && options_.fan_out_events_max > 0);
  BO_ASSERT(options_.messages_per_turn_max > 0 && options_.prune_interval_ms > 0);
  if (wake_fd_ < 0) throw std::runtime_error("outbox relay: eventfd failed");
}

OutboxRelay::~OutboxRelay() {
  Stop();
  ::close(wake_fd_);
}

void OutboxRelay::Start() {
  BO_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Stop() {
  stopping_ = true;
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

std::string OutboxRelay::WalLevel(const std::string& url) {
  auto conn = pg::Connection::Open(url);
  if (!conn.ok()) throw pg::PgError(std::string(pg::kConnectionFailure), conn.error().detail);
  const pg::Reply r = (*conn)->Exec("SHOW wal_level");
  r.Check("SHOW wal_level");
  return r.Text(0, 0);
}

void OutboxRelay::Wait(bool for_stream, int ms) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, POLLIN, 0}};
  if (for_stream && stream_ != nullptr) fds[1].fd = stream_->socket();
  if (::poll(fds, 2, std::max(ms, 0)) > 0 && (fds[0].revents & POLLIN)) {
    std::uint64_t count = 0;
    (void)!::read(wake_fd_, &count, sizeof count);
  }
}

void OutboxRelay::Run() {
  while (!stopping()) {
    try {
      if (Acquire()) Stream();
    } catch (const std::exception& e) {
      // Once per distinct failure: a database that is away fails every retry alike.
      if (last_error_ != e.what()) spdlog::warn("outbox relay: {}", e.what());
      last_error_ = e.what();
      Deactivate();
    }
    if (!stopping()) Wait(false, options_.takeover_retry_ms);
  }
  Deactivate();
}

bool OutboxRelay::Acquire() {
  if (conn_ != nullptr && conn_->broken()) Deactivate();
  if (conn_ == nullptr) {
    auto opened = pg::Connection::Open(options_.url);
    if (!opened.ok()) throw std::runtime_error(opened.error().detail);
    conn_ = std::move(*opened);
    if (slot_.empty()) {
      if (!options_.slot_name.empty()) {
        slot_ = options_.slot_name;
      } else {
        const pg::Reply db = conn_->Exec("SELECT current_database()");
        db.Check("reading the database name");
        slot_ = SlotNameFor(db.Text(0, 0));
      }
    }
  }
  if (!locked_) {
    const pg::Reply r =
        conn_->RunOnce("SELECT pg_try_advisory_lock($1::int, hashtext($2))", {kLockClass, slot_});
    r.Check("taking the relay lock");
    if (r.Text(0, 0) != "t") return false;  // another instance is the active relay
    locked_ = true;
  }
  conn_->RunOnce("INSERT INTO relay_state(slot_name) VALUES ($1) ON CONFLICT DO NOTHING", {slot_})
      .Check("recording the slot");
  const pg::Reply slot =
      conn_->RunOnce("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", {slot_});
  slot.Check("looking for the replication slot");
  if (slot.rows() == 0) {
    conn_->RunOnce("UPDATE relay_state SET backfilled = false WHERE slot_name = $1", {slot_})
        .Check("resetting the backfill");
    conn_->RunOnce("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {slot_})
        .Check("creating the replication slot");
    spdlog::info("outbox relay: created the replication slot {}", slot_);
  }
  const pg::Reply backfilled =
      conn_->RunOnce("SELECT backfilled FROM relay_state WHERE slot_name = $1", {slot_});
  backfilled.Check("reading the backfill");
  if (backfilled.Text(0, 0) != "t") {
    conn_->Exec("BEGIN").Check("BEGIN");
    const pg::Reply moved = conn_->Exec(
        "WITH moved AS (DELETE FROM outbox RETURNING seq, id, type, time_ms, data)"
        " INSERT INTO outbox(id, type, time_ms, data)"
        " SELECT id, type, time_ms, data FROM moved ORDER BY seq");
    if (!moved.ok()) {
      (void)conn_->Exec("ROLLBACK");
      moved.Check("moving the outbox behind the slot");
    }
    conn_->RunOnce("UPDATE relay_state SET backfilled = true WHERE slot_name = $1", {slot_})
        .Check("recording the backfill");
    conn_->Exec("COMMIT").Check("COMMIT");
    spdlog::info("outbox relay: {} outbox rows moved behind the slot {}", moved.affected_rows(),
                 slot_);
  }
  std::string error;
  const auto outcome =
      ReplicationStream::Start(options_.url, slot_, kPublicationName, &stream_, &error);
  if (outcome == ReplicationStream::StartOutcome::kSlotInUse) {
    // A session of the previous holder is still ending: try again at the next retry.
    spdlog::debug("outbox relay: {}", error);
    return false;
  }
  if (outcome != ReplicationStream::StartOutcome::kStreaming) throw std::runtime_error(error);
  return true;
}

void OutboxRelay::Deactivate() {
  if (active_.exchange(false)) spdlog::info("outbox relay: no longer the active relay");
  stream_.reset();
  conn_.reset();  // ends the session, and with it the advisory lock
  locked_ = false;
  buffer_.Reset();
  metrics_.relay_active.Set(0);
  metrics_.relay_unconfirmed.Set(0);
}

void OutboxRelay::SendStatus() {
  const std::int64_t now_ms = clock_.NowMs();
  const std::string update = pg::PgOutputDecoder::StatusUpdate(
      std::max(received_lsn_, confirmed_lsn_), confirmed_lsn_, now_ms * 1000 - kPostgresEpochUs,
      /*reply_requested=*/false);
  std::string error;
  if (!stream_->Send(update, &error)) throw std::runtime_error(error);
  last_status_ms_ = now_ms;
}

void OutboxRelay::Stream() {
  buffer_.Reset();
  pg::PgOutputDecoder decoder;
  received_lsn_ = confirmed_lsn_ = keepalive_lsn_ = 0;
  last_status_ms_ = last_prune_ms_ = clock_.NowMs();
  active_ = true;
  last_error_.clear();
  metrics_.relay_active.Set(1);
  spdlog::info("outbox relay: active, streaming slot {} of publication {}", slot_,
               kPublicationName);
  std::vector<BufferedEvent> passed;
  while (!stopping()) {
    // 1. What the stream brought, unless the buffer is full (the server then waits).
    bool streamed = false, reply_requested = false;
    int read = 0;
    if (!buffer_.full()) {
      std::string error;
      read = stream_->Read(
          [&](std::string_view message) {
            pg::Decoded d;
            if (!decoder.Decode(message, &d, &error)) return false;
            received_lsn_ = std::max(received_lsn_, d.wal_end);
            if (d.kind == pg::Decoded::Kind::kCommit) {
              buffer_.Append(d.transaction);
              streamed = streamed || !d.transaction.events.empty();
            } else if (d.kind == pg::Decoded::Kind::kKeepalive) {
              reply_requested = reply_requested || d.reply_requested;
              if (!decoder.in_transaction()) keepalive_lsn_ = std::max(keepalive_lsn_, d.wal_end);
            }
            return !buffer_.full();
          },
          options_.messages_per_turn_max, &error);
      if (read < 0 || !error.empty()) throw std::runtime_error(error);
    }
    if (streamed && on_streamed_) on_streamed_();

    // 2. Fan out what is new (a transaction only if some endpoint wants an event) and, at
    // most every prune_interval_ms, prune what both consumers passed: one transaction for
    // both, off the publisher's path (it was woken above).
    auto fan_out = buffer_.ToFanOut(static_cast<std::size_t>(options_.fan_out_events_max));
    const bool fan_out_full =
        fan_out.size() == static_cast<std::size_t>(options_.fan_out_events_max);
    std::vector<WebhookEndpoint> endpoints;
    if (!fan_out.empty()) {
      endpoints = EnabledEndpoints();
      if (!SomeWants(endpoints, fan_out)) {
        buffer_.FannedOut(fan_out.back().position);
        fan_out.clear();
      }
    }
    passed.clear();
    pg::Lsn confirm = 0;
    if (clock_.NowMs() - last_prune_ms_ >= options_.prune_interval_ms) {
      confirm = buffer_.TakePassed(&passed, static_cast<std::size_t>(options_.fan_out_events_max));
      last_prune_ms_ = clock_.NowMs();
    }
    if (!fan_out.empty() || !passed.empty()) {
      Commit(fan_out, endpoints, passed, clock_.NowMs());
      if (!fan_out.empty()) {
        buffer_.FannedOut(fan_out.back().position);
        if (on_fanned_out_) on_fanned_out_();
      }
    }
    // Nothing pending and no transaction open: everything the server sent before its last
    // keepalive is done, so its position may be confirmed (the slot then keeps no WAL for
    // changes that concern no one).
    if (buffer_.idle() && !decoder.in_transaction()) {
      confirm = std::max(confirm, keepalive_lsn_);
    }

    // 3. Tell the server what is done.
    const std::int64_t now_ms = clock_.NowMs();
    const bool advanced = confirm > confirmed_lsn_;
    if (advanced) confirmed_lsn_ = confirm;
    if (advanced || reply_requested || now_ms - last_status_ms_ >= options_.status_interval_ms) {
      SendStatus();
    }
    metrics_.relay_unconfirmed.Set(static_cast<double>(buffer_.events()));
    metrics_.relay_lag_bytes.Set(
        static_cast<double>(received_lsn_ > confirmed_lsn_ ? received_lsn_ - confirmed_lsn_ : 0));

    // 4. More at once, or wait for the stream, a saved position or the next status.
    const bool more = read == options_.messages_per_turn_max || fan_out_full;
    if (!more) {
      std::int64_t until_ms = last_status_ms_ + options_.status_interval_ms;
      if (!buffer_.idle())
        until_ms = std::min(until_ms, last_prune_ms_ + options_.prune_interval_ms);
      Wait(!buffer_.full(), static_cast<int>(until_ms - clock_.NowMs()));
    }
  }
}

std::vector<WebhookEndpoint> OutboxRelay::EnabledEndpoints() {
  const pg::Reply r = conn_->Exec("SELECT " BO_ENDPOINT_COLUMNS
                                  " FROM webhook_endpoints WHERE disabled_at_ms IS NULL"
                                  " ORDER BY id");
  r.Check("reading webhook endpoints");
  std::vector<WebhookEndpoint> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(EndpointFrom(pg::Row(r, i)));
  return out;
}

bool OutboxRelay::SomeWants(const std::vector<WebhookEndpoint>& endpoints,
                            const std::vector<BufferedEvent>& events) {
  for (const auto& endpoint : endpoints) {
    for (const auto& e : events) {
      if (endpoint.Wants(e.event.event.type)) return true;
    }
  }
  return false;
}

void OutboxRelay::Commit(const std::vector<BufferedEvent>& fan_out,
                         const std::vector<WebhookEndpoint>& targets,
                         const std::vector<BufferedEvent>& passed, UnixMs now_ms) {
  pg::Connection& c = *conn_;
  c.Exec("BEGIN").Check("BEGIN");
  try {
    if (!fan_out.empty()) {
      const pg::Reply state = c.RunOnce(
          "SELECT fanned_out_lsn FROM relay_state WHERE slot_name = $1 FOR UPDATE", {slot_});
      state.Check("reading the fan-out position");
      const auto fanned_lsn = static_cast<pg::Lsn>(state.Int64(0, 0));
      std::vector<const BufferedEvent*> events;  // wanted by some endpoint
      std::vector<std::pair<const BufferedEvent*, const WebhookEndpoint*>> deliveries;
      for (const auto& e : fan_out) {
        if (e.end_lsn <= fanned_lsn) continue;  // fanned out before a replay
        bool wanted = false;
        for (const auto& endpoint : targets) {
          if (!endpoint.Wants(e.event.event.type)) continue;
          deliveries.emplace_back(&e, &endpoint);
          wanted = true;
        }
        if (wanted) events.push_back(&e);
      }
      if (!deliveries.empty()) {
        const auto& ev = events;
        c.RunOnce(
             "INSERT INTO webhook_events(seq, id, type, time_ms, data)"
             " SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[])"
             " ON CONFLICT (seq) DO NOTHING",
             {IntArray(ev.size(), [&](std::size_t i) { return ev[i]->event.seq; }),
              TextArray(ev.size(), [&](std::size_t i) { return ev[i]->event.event.id; }),
              TextArray(ev.size(), [&](std::size_t i) { return ev[i]->event.event.type; }),
              IntArray(ev.size(), [&](std::size_t i) { return ev[i]->event.event.time_ms; }),
              TextArray(ev.size(), [&](std::size_t i) { return ev[i]->event.event.data_json; })})
            .Check("copying events for webhooks");
        const auto& d = deliveries;
        c.RunOnce(
             "INSERT INTO webhook_deliveries(endpoint_id, event_id, event_seq, type,"
             " created_at_ms, next_attempt_at_ms)"
             " SELECT u.e, u.i, u.s, u.t, $5::bigint, $5::bigint"
             " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(e, i, s, t)"
             " ON CONFLICT DO NOTHING",
             {TextArray(d.size(), [&](std::size_t i) { return d[i].second->id; }),
              TextArray(d.size(), [&](std::size_t i) { return d[i].first->event.event.id; }),
              IntArray(d.size(), [&](std::size_t i) { return d[i].first->event.seq; }),
              TextArray(d.size(), [&](std::size_t i) { return d[i].first->event.event.type; }),
              Text(now_ms)})
            .Check("fanning out webhook deliveries");
      }
      c.RunOnce(
           "UPDATE relay_state SET fanned_out_lsn = GREATEST(fanned_out_lsn, $2::bigint)"
           " WHERE slot_name = $1",
           {slot_, Text(static_cast<std::int64_t>(fan_out.back().end_lsn))})
          .Check("saving the fan-out position");
    }
    if (!passed.empty()) {
      std::int64_t through_seq = 0, through_time_ms = 0;
      for (const auto& e : passed) {
        through_seq = std::max(through_seq, e.event.seq);
        through_time_ms = std::max(through_time_ms, e.event.event.time_ms);
      }
      // By event id, which one row holds at any time, and not by seq: an event committed
      // between the slot's creation and the backfill is streamed as it was, then moved behind
      // the slot under a new seq, and the buffer keeps only its first sighting.
      c.RunOnce("DELETE FROM outbox WHERE id = ANY($1::text[])",
                {TextArray(passed.size(), [&](std::size_t i) { return passed[i].event.event.id; })})
          .Check("pruning the outbox");
      c.RunOnce(
           "INSERT INTO outbox_pruned(one, through_seq, through_time_ms)"
           " VALUES (1, $1::bigint, $2::bigint) ON CONFLICT (one) DO UPDATE SET"
           " through_seq = GREATEST(outbox_pruned.through_seq, excluded.through_seq),"
           " through_time_ms = GREATEST(outbox_pruned.through_time_ms, excluded.through_time_ms)",
           {Text(through_seq), Text(through_time_ms)})
          .Check("recording the pruned range");
    }
    c.Exec("COMMIT").Check("COMMIT");
  } catch (...) {
    if (!c.broken()) (void)c.Exec("ROLLBACK");
    throw;
  }
}

}  // namespace bo::postgres_relay
