// The StoreReader queries over one SQLite connection, shared by the readers of the pool and by
// the writer's transaction (which is also a StoreReader).
#pragma once

#include "adapters/sqlite/db.h"
#include "ports/store.h"

namespace bo::sqlite {

// REQUIRES: Base is StoreReader or WriteTx.
template <class Base>
class ReadOps : public Base {
 public:
  explicit ReadOps(Db& db) : db_(db) {}

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
  Db& db_;

 private:
  std::vector<TicketType> TicketTypesOf(std::string_view schedule_id);
  std::vector<std::string> SeatIdsOf(std::string_view reservation_id);
  std::vector<Ticket> TicketsOfPayment(std::string_view payment_id);
};

}  // namespace bo::sqlite
