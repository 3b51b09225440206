// Where a publisher reads the outbox from, and where it records how far it got.
//
// Positions are the source's own, increasing in the order events are handed out: the outbox
// seq for the outbox table (events/outbox_table_source.h), a counter over the replication
// stream for PostgreSQL (adapters/postgres_relay/relay_buffer.h). A publisher reads the events
// after a position, publishes them and saves the position up to which every event was
// acknowledged; what follows the saved position is handed out again after a restart.
//
// A source may start over (PostgreSQL: another replication session, another relay took the
// stream): its generation changes, and positions of an earlier generation mean nothing. A
// publisher then drops what it had in flight and resumes from LoadPosition().
//
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "ports/event_delivery.h"

namespace bo {

class OutboxSource {
 public:
  virtual ~OutboxSource() = default;

  // The generation in force; a publisher reads it before LoadPosition().
  virtual std::uint64_t Generation() = 0;
  // Where publishing resumes: the last position saved in this generation.
  virtual std::int64_t LoadPosition() = 0;
  // Events after `after` in order (their seq holds their position), at most `limit`; none if
  // `generation` is no longer in force. REQUIRES: limit > 0.
  virtual std::vector<OutboxEvent> Read(std::uint64_t generation, std::int64_t after,
                                        int limit) = 0;
  // Every event up to `position` of `generation` is acknowledged. Ignored for a generation no
  // longer in force. REQUIRES: position >= the last one saved in that generation.
  virtual void SavePosition(std::uint64_t generation, std::int64_t position) = 0;
};

}  // namespace bo
