// WriteTx over a writer lane's PostgreSQL connection, inside the lane's transaction. Every
// inventory and money write is one conditional statement whose WHERE clause is the invariant;
// affected-row counts and RETURNING report who won.
//
// Writes whose result the caller does not need (the void methods) are only queued: they travel
// with the job's next read or with the statements that end the job, so that a one-seat hold
// costs few round trips. A queued write that fails makes the job's next read throw, or, when
// the job has already returned, rolls the job back (WriteJob::done(false) for it alone).
//
// A schedule's seats_available is not updated by each hold: every hold of a busy schedule
// would update that one row again, and many updates of one row in one transaction each walk
// the chain of its versions. Holds add up their changes (SeatCounts), and the writer lane
// applies them once per job kept, or once per batch, before COMMIT: the count is in step
// whenever a transaction ends, which is all a reader can see. (Releases, off the hot path,
// update the count in their own statement.)
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/postgres/reads.h"

namespace bo::postgres {

// Changes to schedules' seats_available not yet written.
class SeatCounts {
 public:
  void Add(std::string_view schedule_id, int change);
  void Merge(const SeatCounts& other);
  // Queues one conditional update per schedule whose count changed, then forgets them.
  // REQUIRES: `conn` pipelined, inside the transaction the changes belong to.
  void QueueOn(pg::Connection& conn);
  void Clear() { changes_.clear(); }

 private:
  std::vector<std::pair<std::string, int>> changes_;  // a job touches one schedule, or few
};

class PgWriteTx final : public ReadOps<WriteTx> {
 public:
  // With `fibers`, the job runs on a fiber of that batch (see FiberBatch).
  explicit PgWriteTx(pg::Connection& conn, FiberBatch* fibers = nullptr)
      : ReadOps<WriteTx>(conn, fibers) {}

  // Whether a statement of this transaction hit a deadlock or serialization failure.
  bool retry_needed() const { return retry_needed_; }
  // Whether the job wrote anything: a write queued, or a conditional write that took effect.
  // A job that returns false without having changed anything needs no rollback of its own.
  bool changed() const { return changed_; }
  // The seats_available changes of the holds so far, for the lane to apply.
  SeatCounts& seat_counts() { return seat_counts_; }

  bool InsertUser(const User& user) override;
  void InsertConcert(const Concert& concert) override;
  void InsertSchedule(const Schedule& schedule, const std::vector<Seat>& seats) override;
  std::optional<Money> HoldSeat(std::string_view seat_id, std::string_view schedule_id,
                                std::string_view reservation_id) override;
  int ReleaseSeats(std::string_view reservation_id, std::string_view schedule_id) override;
  int SellSeats(std::string_view reservation_id) override;
  bool TakeUnits(std::string_view ticket_type_id, int n) override;
  void ReturnUnits(std::string_view ticket_type_id, int n) override;
  void InsertReservation(const Reservation& reservation) override;
  bool TransitionReservation(std::string_view id, ReservationStatus from, ReservationStatus to,
                             ExpiryGuard guard, UnixMs now_ms) override;
  // Locks the holds it returns and skips those another transaction has locked
  // (FOR UPDATE SKIP LOCKED), so that instances sweeping at once take disjoint holds.
  std::vector<Reservation> DueHolds(UnixMs now_ms, std::string_view schedule_id,
                                    int limit) override;
  std::optional<Money> CreditWallet(std::string_view user_id, Money amount) override;
  std::optional<Money> DebitWallet(std::string_view user_id, Money amount) override;
  void InsertWalletTransaction(const WalletTransaction& tx) override;
  void InsertPayment(const Payment& payment) override;
  void AppendEvent(const Event& event) override;
  void SaveIdempotentResponse(std::string_view user_id, std::string_view key,
                              const StoredResponse& response, UnixMs now_ms) override;
  int PruneIdempotentResponses(UnixMs before_ms, int limit) override;

 private:
  // Queues a write whose result is not needed; sends the queue when it is long.
  void QueueWrite(const pg::Statement& statement, std::initializer_list<pg::Param> params);
  // Records that a conditional write took effect (`took_effect`) and returns it.
  template <class T>
  T Noted(T took_effect) {
    if (took_effect) changed_ = true;
    return took_effect;
  }

  bool changed_ = false;
  SeatCounts seat_counts_;
};

}  // namespace bo::postgres
