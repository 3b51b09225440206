// The events the active relay has read from the replication stream and not yet confirmed,
// with what each consumer has done with them.
//
// Each streamed event gets a position (increasing for the life of the process, never reused),
// which is what the NATS publisher reads and saves (this is its OutboxSource). The webhook
// fan-out reports the position it has fanned out through. A streamed transaction is passed
// once every event it needs is passed by both consumers; the replication position confirmed
// to PostgreSQL is the end LSN of the last transaction passed in stream order, so the server
// keeps (and after a crash sends again) everything not yet passed.
//
// An event whose id is already in the buffer (the same row streamed twice: a backfill moved
// rows the stream also had) is not handed out again: its transaction needs the earlier copy.
//
// Reset() starts a new generation (a new replication session): everything is dropped, and the
// publisher, seeing the generation change, drops what it has in flight.
//
// Thread-safe: the relay's thread appends, fans out and takes what is passed; the publisher's
// thread reads and saves.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/postgres/pgoutput.h"
#include "ports/outbox_source.h"

namespace bo::postgres_relay {

struct BufferedEvent {
  std::int64_t position = 0;
  pg::Lsn end_lsn = 0;  // of its transaction
  OutboxEvent event;    // seq: the outbox row's
};

class RelayBuffer final : public OutboxSource {
 public:
  // `publishing`: whether a publisher consumes the buffer (else only the fan-out counts).
  // `on_saved` is called (on the publisher's thread, without the lock) after a save moved
  // the publisher's position. REQUIRES: events_max > 0.
  RelayBuffer(bool publishing, std::size_t events_max, std::function<void()> on_saved);

  // --- The relay's thread.

  // Drops everything and starts a new generation.
  void Reset();
  // Appends a committed transaction. One whose end_lsn is not past the last appended is
  // ignored (already streamed). A transaction without events (or a keepalive's position)
  // just moves the confirmable position once everything before it is passed.
  void Append(const pg::DecodedTransaction& transaction);
  // Whether the buffer holds events_max events or more: the relay stops reading the stream.
  bool full() const;
  // Events not yet fanned out, in order, at most `limit`.
  std::vector<BufferedEvent> ToFanOut(std::size_t limit) const;
  // Every event up to `position` is fanned out.
  void FannedOut(std::int64_t position);
  // Removes the transactions and events both consumers have passed, at most `events_max`
  // events (and the transactions that need no other): appends the events to *events and
  // returns the end LSN of the last transaction removed (0 if none). REQUIRES: events_max > 0.
  pg::Lsn TakePassed(std::vector<BufferedEvent>* events, std::size_t events_max);
  std::size_t events() const;
  // No transaction or event is waiting for a consumer.
  bool idle() const;

  // --- OutboxSource, for the publisher.
  std::uint64_t Generation() override;
  std::int64_t LoadPosition() override;
  std::vector<OutboxEvent> Read(std::uint64_t generation, std::int64_t after, int limit) override;
  void SavePosition(std::uint64_t generation, std::int64_t position) override;

 private:
  struct Transaction {
    pg::Lsn end_lsn = 0;
    std::int64_t needs_position = 0;  // every event up to it must be passed
  };
  std::int64_t PassedLocked() const;

  const bool publishing_;
  const std::size_t events_max_;
  const std::function<void()> on_saved_;

  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;
  std::int64_t last_position_ = 0;       // handed out, over every generation
  std::int64_t published_position_ = 0;  // saved by the publisher
  std::int64_t fanned_position_ = 0;     // reported by the fan-out
  pg::Lsn last_end_lsn_ = 0;             // of the last transaction appended
  std::deque<BufferedEvent> events_;
  std::deque<Transaction> transactions_;
  std::unordered_map<std::string, std::int64_t> position_by_id_;
};

}  // namespace bo::postgres_relay
