// The StoreReader queries over one PostgreSQL connection in pipeline mode, shared by the readers
// of the pool and by a writer lane's transaction (which is also a StoreReader).
//
// Every read is one round trip: its statements travel with whatever the connection had queued
// (a writer's pending writes), and a failure of any of them throws pg::PgError. A reader's
// statements run in one implicit transaction per round trip, so the queries of one call (a
// schedule and its ticket types) see one snapshot.
#pragma once

#include <vector>

#include "adapters/postgres/connection.h"
#include "adapters/postgres/fiber_batch.h"
#include "ports/store.h"

namespace bo::postgres {

// REQUIRES: Base is StoreReader or WriteTx.
template <class Base>
class ReadOps : public Base {
 public:
  // With `fibers`, the reads run on a fiber of that batch and share its round trips.
  explicit ReadOps(pg::Connection& conn, FiberBatch* fibers = nullptr)
      : conn_(conn), fibers_(fibers) {}

  std::optional<User> FindUserById(std::string_view id) override;
  std::optional<User> FindUserByEmail(std::string_view email) override;
  Page<Concert> ListConcerts(std::string_view after_id, int limit) override;
  std::optional<Concert> FindConcert(std::string_view id) override;
  std::vector<Schedule> ListSchedules(std::string_view concert_id, UnixMs from_ms, UnixMs to_ms,
                                      int limit) override;
  std::optional<Schedule> FindSchedule(std::string_view id) override;
  std::vector<Seat> ListSeats(std::string_view schedule_id) override;
  std::optional<Seat> FindSeat(std::string_view id) override;
  std::optional<TicketType> FindTicketType(std::string_view id) override;
  std::optional<Reservation> FindReservation(std::string_view id) override;
  Page<Reservation> ListReservations(std::string_view user_id, std::string_view before_id,
                                     int limit) override;
  Money WalletBalance(std::string_view user_id) override;
  Page<WalletTransaction> ListWalletTransactions(std::string_view user_id,
                                                 std::string_view before_id, int limit) override;
  std::optional<Payment> FindPayment(std::string_view id) override;
  Page<Ticket> ListTickets(std::string_view user_id, std::string_view after_id, int limit) override;
  std::optional<Ticket> FindTicket(std::string_view id) override;
  std::optional<StoredResponse> FindIdempotentResponse(std::string_view user_id,
                                                       std::string_view key) override;

 protected:
  // Sends everything queued and returns the replies of the last `last` statements. Throws
  // pg::PgError for the first statement of the round trip that failed.
  std::vector<pg::Reply> Send(size_t last);
  // Queues `statement`, sends, and returns its reply.
  pg::Reply Fetch(const pg::Statement& statement, std::initializer_list<pg::Param> params);
  // Queues `statement` for the next Send: with the batch (which may send it in its set form
  // together with other jobs' runs), or on the connection.
  void Queue(const pg::Statement& statement, std::initializer_list<pg::Param> params);
  // Statements queued and not yet sent.
  size_t queued() const { return fibers_ != nullptr ? fibers_->queued() : conn_.queued(); }

  // The seat ids of each of `reservations`, filled in with one query.
  void FillSeatIds(std::vector<Reservation>& reservations);

  pg::Connection& conn_;
  FiberBatch* const fibers_;
  // Set once a statement failed with a deadlock or a serialization failure: the writer then
  // runs its whole transaction again, even if the job caught the exception.
  bool retry_needed_ = false;
};

}  // namespace bo::postgres
