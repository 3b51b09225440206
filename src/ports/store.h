// The Store port: every table the use cases touch, behind two interfaces.
//
// StoreReader answers queries. WriteTx adds the writes, each a conditional statement whose
// WHERE clause is the invariant it protects (a seat is taken only if AVAILABLE, units only if
// taken + n <= capacity, a wallet is debited only if the balance covers it). A use case runs
// inside one WriteTx and either keeps all its writes or none.
//
// Store::Submit runs write jobs on the store's writer. An implementation may run many jobs in
// one database transaction (group commit), each inside its own savepoint, so a job that fails
// rolls back alone while the others commit together.
//
// Failures: a reader method that cannot reach the database throws (a std::exception; the HTTP
// layer answers 503 problem+json). A write that breaks a constraint fails its job: a method
// that returns a result throws at once; a void write may be sent later and then throws from
// the job's next read, or, if the job has already returned, undoes the job alone and answers
// its done(false).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "domain/catalog.h"
#include "domain/event.h"
#include "domain/payment.h"
#include "domain/reservation.h"
#include "domain/user.h"
#include "domain/wallet.h"

namespace bo {

template <class T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // the last item's id; empty on the last page
};

// The response stored for an Idempotency-Key, replayed byte-identical.
struct StoredResponse {
  std::string fingerprint;  // hash of the request that produced it
  int status = 0;
  std::string body;
};

// One line of `boxoffice audit`.
struct AuditCheck {
  std::string name;
  bool ok = false;
  std::string detail;  // what was counted, or the first offenders
};

class StoreReader {
 public:
  virtual ~StoreReader() = default;

  virtual std::optional<User> FindUserById(std::string_view id) = 0;
  virtual std::optional<User> FindUserByEmail(std::string_view email) = 0;

  // Concerts in id order, starting after `after_id` (empty: from the first).
  virtual Page<Concert> ListConcerts(std::string_view after_id, int limit) = 0;
  virtual std::optional<Concert> FindConcert(std::string_view id) = 0;
  // Schedules of a concert with from_ms <= startsAt < to_ms, by startsAt; at most `limit`.
  virtual std::vector<Schedule> ListSchedules(std::string_view concert_id, UnixMs from_ms,
                                              UnixMs to_ms, int limit) = 0;
  virtual std::optional<Schedule> FindSchedule(std::string_view id) = 0;
  virtual std::vector<Seat> ListSeats(std::string_view schedule_id) = 0;
  virtual std::optional<Seat> FindSeat(std::string_view id) = 0;
  virtual std::optional<TicketType> FindTicketType(std::string_view id) = 0;

  virtual std::optional<Reservation> FindReservation(std::string_view id) = 0;
  // The user's reservations, newest first, starting before `before_id` (empty: the newest).
  virtual Page<Reservation> ListReservations(std::string_view user_id, std::string_view before_id,
                                             int limit) = 0;

  virtual Money WalletBalance(std::string_view user_id) = 0;
  // Newest first, starting before `before_id`.
  virtual Page<WalletTransaction> ListWalletTransactions(std::string_view user_id,
                                                         std::string_view before_id, int limit) = 0;

  virtual std::optional<Payment> FindPayment(std::string_view id) = 0;  // with its tickets
  // The user's tickets in id order, starting after `after_id`.
  virtual Page<Ticket> ListTickets(std::string_view user_id, std::string_view after_id,
                                   int limit) = 0;
  virtual std::optional<Ticket> FindTicket(std::string_view id) = 0;

  virtual std::optional<StoredResponse> FindIdempotentResponse(std::string_view user_id,
                                                               std::string_view key) = 0;
};

// When a reservation transition also depends on the clock.
enum class ExpiryGuard {
  kNone,             // no condition on expires_at
  kBeforeExpiry,     // only if now < expires_at (paying)
  kAtOrAfterExpiry,  // only if expires_at <= now (expiring)
};

class WriteTx : public StoreReader {
 public:
  // Returns false, writing nothing, if the email is taken.
  virtual bool InsertUser(const User& user) = 0;
  virtual void InsertConcert(const Concert& concert) = 0;
  // Inserts the schedule, its ticket types and `seats`.
  // REQUIRES: the schedule's concert exists.
  virtual void InsertSchedule(const Schedule& schedule, const std::vector<Seat>& seats) = 0;

  // AVAILABLE -> HELD by `reservation_id`, only if the seat belongs to `schedule_id` and is
  // AVAILABLE. Returns the seat's price if it changed, nullopt otherwise. Keeps the schedule's
  // seats_available in step (as does ReleaseSeats) by the time the transaction ends: a
  // store may apply the count once for many holds. A store whose writers run side by side
  // never waits for another transaction that is changing the seat at that moment: it returns
  // nullopt, as it would once the other committed.
  virtual std::optional<Money> HoldSeat(std::string_view seat_id, std::string_view schedule_id,
                                        std::string_view reservation_id) = 0;
  // HELD -> AVAILABLE for every seat held by `reservation_id` among those the reservation
  // lists (InsertReservation). Returns how many changed.
  virtual int ReleaseSeats(std::string_view reservation_id, std::string_view schedule_id) = 0;
  // HELD -> SOLD for every seat held by `reservation_id` among those the reservation lists.
  // Returns how many changed.
  virtual int SellSeats(std::string_view reservation_id) = 0;
  // taken += n, only if taken + n <= capacity. Returns whether it changed.
  virtual bool TakeUnits(std::string_view ticket_type_id, int n) = 0;
  // taken -= n. REQUIRES: taken >= n.
  virtual void ReturnUnits(std::string_view ticket_type_id, int n) = 0;

  // Inserts the reservation and the list of its seats, in order.
  // REQUIRES: the reservation's schedule exists.
  virtual void InsertReservation(const Reservation& reservation) = 0;
  // status: from -> to, only if the reservation is in `from` and `guard` holds at `now_ms`.
  // Returns whether it changed.
  virtual bool TransitionReservation(std::string_view id, ReservationStatus from,
                                     ReservationStatus to, ExpiryGuard guard, UnixMs now_ms) = 0;
  // HELD reservations with expires_at <= now_ms, oldest expiry first, at most `limit`;
  // only those of `schedule_id` unless it is empty.
  virtual std::vector<Reservation> DueHolds(UnixMs now_ms, std::string_view schedule_id,
                                            int limit) = 0;

  // Adds `amount` to the balance (creating the wallet). Returns the new balance, or nullopt,
  // writing nothing, if it would exceed kBalanceMax.
  virtual std::optional<Money> CreditWallet(std::string_view user_id, Money amount) = 0;
  // Subtracts `amount`, only if the balance covers it. Returns the new balance or nullopt.
  virtual std::optional<Money> DebitWallet(std::string_view user_id, Money amount) = 0;
  virtual void InsertWalletTransaction(const WalletTransaction& tx) = 0;

  // Inserts the payment and its tickets.
  virtual void InsertPayment(const Payment& payment) = 0;

  virtual void AppendEvent(const Event& event) = 0;

  virtual void SaveIdempotentResponse(std::string_view user_id, std::string_view key,
                                      const StoredResponse& response, UnixMs now_ms) = 0;
  // Deletes stored responses saved before `before_ms`, at most `limit`. Returns how many.
  virtual int PruneIdempotentResponses(UnixMs before_ms, int limit) = 0;
};

struct WriteJob {
  WriteJob() = default;
  WriteJob(std::function<bool(WriteTx&)> run_fn, std::function<void(bool)> done_fn,
           std::string lane_key_text = {})
      : run(std::move(run_fn)), done(std::move(done_fn)), lane_key(std::move(lane_key_text)) {}

  // Runs on the writer inside the transaction. Returns true to keep its writes, false to roll
  // back only its own.
  std::function<bool(WriteTx&)> run;
  // Called once the transaction has ended: committed is false if the commit failed or the
  // job's writes were undone after it returned (then even a job that returned true changed
  // nothing).
  std::function<void(bool committed)> done;
  // Jobs with the same key touch the same hot rows (a schedule, a ticket type, a user's
  // wallet): a store with several writers runs them on one, so that they coalesce into one
  // transaction instead of waiting for each other's row locks. Empty: any writer.
  std::string lane_key;
};

struct StoreStats {
  size_t queue_jobs = 0;                     // write jobs waiting
  std::uint64_t transactions_committed = 0;  // since start
  std::uint64_t jobs_run = 0;                // since start
  // Batches whose jobs, run side by side at first, had to run again one after the other
  // (a failing statement, or a job that failed after writing). Since start; 0 if the store
  // never runs jobs side by side.
  std::uint64_t batches_run_singly = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Queues `job` for the writer. Never blocks on the database; may refuse (calling
  // job.done(false) at once) when the queue holds writer_queue_jobs_max jobs.
  virtual void Submit(WriteJob job) = 0;

  // A reader for the calling thread's use until the pointer is released.
  virtual std::shared_ptr<StoreReader> Read() = 0;

  // Whether the database answers a trivial query.
  virtual bool Ping() = 0;

  // Checks every invariant of the stored data.
  virtual std::vector<AuditCheck> Audit() = 0;

  virtual StoreStats Stats() = 0;

  // Refuses every later job (job.done(false)), runs the jobs already queued and returns once
  // they have been answered. Idempotent. Reads keep working.
  virtual void Close() = 0;
};

}  // namespace bo
