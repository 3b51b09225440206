// An in-memory Store for tests of the use cases and the HTTP layer.
//
// Every WriteTx method answers as the SQLite adapter (adapters/sqlite/write_tx.cc) does: a
// conditional write changes nothing and reports it exactly when the adapter's WHERE clause
// would match no row, and a broken primary key, UNIQUE or CHECK constraint throws, failing the
// job as a SqliteError would. Submit runs the job at once, on the calling thread, and keeps all
// of its writes or none.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ports/store.h"

namespace bo::testing {

// A table keyed by its id; std::less<> lets it be searched with a string_view.
template <class T>
using Table = std::map<std::string, T, std::less<>>;

class MemoryStore final : public Store {
 public:
  // One map per table, keyed by primary key. Public so that tests can look at what the API
  // does not show (seat owners, the outbox, when a response was stored).
  struct SeatRow {
    Seat seat;
    std::string reservation_id;  // empty unless HELD or SOLD
  };
  struct IdempotencyRow {
    StoredResponse response;
    UnixMs created_at_ms = 0;
  };
  struct State {
    Table<User> users;
    Table<Concert> concerts;
    Table<Schedule> schedules;  // ticket_types left empty: see ticket_types
    Table<TicketType> ticket_types;
    Table<SeatRow> seats;
    Table<Reservation> reservations;  // with seat_ids, the adapter's reservation_seats
    Table<Money> wallets;             // user id -> balance
    Table<WalletTransaction> wallet_transactions;
    Table<Payment> payments;  // tickets left empty: see tickets
    Table<Ticket> tickets;
    std::vector<Event> outbox;  // in append order
    std::map<std::pair<std::string, std::string>, IdempotencyRow> idempotency_keys;
  };

  void Submit(WriteJob job) override;
  // A reader over the live state: it sees every job committed before each of its calls.
  std::shared_ptr<StoreReader> Read() override;
  bool Ping() override { return true; }
  std::vector<AuditCheck> Audit() override { return {}; }
  StoreStats Stats() override { return {}; }
  void Close() override;

  // Makes the next Submit behave as a failed commit: the job runs, then all of its writes are
  // rolled back and done(false) is called.
  void FailNextCommit();

  // A copy of every table.
  State Dump() const;
  // The events of the outbox of one type, in append order.
  std::vector<Event> EventsOfType(std::string_view type) const;

 private:
  // Recursive so that a job may read through Read() on the thread that submitted it.
  mutable std::recursive_mutex mu_;
  State state_;
  bool fail_next_commit_ = false;
  bool closed_ = false;
};

}  // namespace bo::testing
