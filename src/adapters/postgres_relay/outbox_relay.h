// The scale-out shape's outbox relay: PostgreSQL's logical replication stream of the outbox
// table, fanned out to webhook deliveries and handed to the NATS publisher, with the
// replication position confirmed only once both are done.
//
// Exactly one relay is active among the instances sharing a database. Each instance's relay
// thread tries every takeover_retry_ms to become active: it takes a session advisory lock
// (pg_try_advisory_lock) and then streams the slot (START_REPLICATION; a slot is streamed by
// one session at most, SQLSTATE 55006 otherwise). Both belong to the instance's sessions, so
// when the instance dies PostgreSQL ends them as soon as it sees the connections close (at
// once for a process killed on a live host; after tcp_keepalives_* or wal_sender_timeout when
// the host or network goes), and a standby takes over at its next try. Takeover time:
// detection + at most takeover_retry_ms + connecting and starting the stream.
//
// A turn of the active relay: read what the stream brought (pgoutput, PgOutputDecoder) into
// the RelayBuffer and wake the publisher; then, in one transaction on the locked session, fan
// the new events out if some endpoint wants one (a webhook_deliveries row per matching endpoint
// and a copy of the event in webhook_events, skipped for transactions at or below
// relay_state.fanned_out_lsn, which the same transaction raises) and, at most every
// prune_interval_ms, delete the outbox rows both consumers have passed and record the pruned
// range; then confirm the end LSN of the last passed transaction in a standby status update. A
// crash anywhere replays from the confirmed position: JetStream drops the repeats by Nats-Msg-Id
// and the fan-out by fanned_out_lsn. Deleting before confirming is safe: the stream is decoded from
// the WAL, not from the table.
//
// A slot created by this relay starts at its creation: outbox rows committed before it (an
// upgrade, wal_level raised later) are moved behind it once, by deleting and inserting them
// again in one transaction (relay_state.backfilled records that it was done for the slot).
//
// REQUIRES of the database: wal_level = logical, a free replication slot and walsender
// (max_replication_slots, max_wal_senders), and the migrations applied (the publication).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/connection.h"
#include "adapters/postgres_relay/relay_buffer.h"
#include "adapters/postgres_relay/replication_stream.h"
#include "events/event_metrics.h"
#include "ports/clock.h"

namespace bo::postgres_relay {

inline constexpr const char* kPublicationName = "boxoffice_outbox";

struct OutboxRelayOptions {
  std::string url;                          // postgres://user@host:port/db
  std::string slot_name;                    // empty: boxoffice_<database name>
  bool publishing = false;                  // a NATS publisher reads source()
  int takeover_retry_ms = 250;              // a standby's tries to become active
  int status_interval_ms = 10'000;          // status updates at least this often
  int fan_out_events_max = 10'000;          // events per fan-out transaction
  int prune_interval_ms = 100;              // outbox rows passed are deleted this often
  std::size_t buffer_events_max = 100'000;  // unconfirmed events held; then reading pauses
  int messages_per_turn_max = 10'000;       // stream messages read before a fan-out
};

class OutboxRelay {
 public:
  // `on_streamed` (the publisher's Wake) and `on_fanned_out` (the dispatcher's Wake) are
  // called on the relay's thread and must return at once; either may be empty.
  // REQUIRES: every reference outlives the relay; every limit > 0.
  OutboxRelay(OutboxRelayOptions options, const Clock& clock, EventMetrics& metrics,
              std::function<void()> on_streamed, std::function<void()> on_fanned_out);
  ~OutboxRelay();  // Stop()s

  // What the publisher reads. REQUIRES: options.publishing.
  OutboxSource& source() { return buffer_; }

  void Start();  // REQUIRES: not started before
  void Stop();   // idempotent
  bool active() const { return active_.load(); }

  // PostgreSQL's wal_level at `url` ("logical" is needed). Throws pg::PgError.
  static std::string WalLevel(const std::string& url);

 private:
  void Run();
  // Takes the lock, makes sure of the slot and its backfill, starts the stream. False while
  // another instance is active.
  bool Acquire();
  // Streams until stopped or something fails (throws).
  void Stream();
  // Fans out `fan_out` to `targets` (EnabledEndpoints, read after fan_out was streamed) and
  // prunes `passed`, in one transaction.
  void Commit(const std::vector<BufferedEvent>& fan_out,
              const std::vector<WebhookEndpoint>& targets, const std::vector<BufferedEvent>& passed,
              UnixMs now_ms);
  void SendStatus();
  // The enabled endpoints in id order, read now. Read after the events they are matched
  // against were streamed, so that an endpoint created before one of them committed is seen.
  std::vector<WebhookEndpoint> EnabledEndpoints();
  static bool SomeWants(const std::vector<WebhookEndpoint>& endpoints,
                        const std::vector<BufferedEvent>& events);
  void Deactivate();
  // Waits until the stream has data (if `for_stream`), a wake-up, the stop, or `ms` passed.
  void Wait(bool for_stream, int ms);
  bool stopping() const { return stopping_.load(); }

  const OutboxRelayOptions options_;
  const Clock& clock_;
  EventMetrics& metrics_;
  const std::function<void()> on_streamed_;
  const std::function<void()> on_fanned_out_;
  int wake_fd_ = -1;  // an eventfd: the publisher saved a position, or Stop()
  RelayBuffer buffer_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> active_{false};
  std::thread thread_;

  // Owned by the thread.
  std::string slot_;
  std::unique_ptr<pg::Connection> conn_;  // holds the advisory lock while active
  bool locked_ = false;
  std::unique_ptr<ReplicationStream> stream_;
  pg::Lsn received_lsn_ = 0;   // the server's WAL end, as last told
  pg::Lsn confirmed_lsn_ = 0;  // flushed, as last told to the server
  pg::Lsn keepalive_lsn_ = 0;  // of the last keepalive outside a transaction
  std::int64_t last_status_ms_ = 0;
  std::int64_t last_prune_ms_ = 0;
  std::string last_error_;  // logged once until the relay is active again
};

}  // namespace bo::postgres_relay
