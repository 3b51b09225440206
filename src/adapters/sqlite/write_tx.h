// WriteTx over the writer's SQLite connection. Every inventory and money write is one
// conditional statement whose WHERE clause is the invariant; affected-row counts report who won.
#pragma once

#include "adapters/sqlite/reads.h"

namespace bo::sqlite {

class SqliteWriteTx final : public ReadOps<WriteTx> {
 public:
  explicit SqliteWriteTx(Db& db) : ReadOps<WriteTx>(db) {}

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

  // Events appended through this object since it was made (rolled back ones included).
  int events_appended() const { return events_appended_; }

 private:
  int events_appended_ = 0;
};

}  // namespace bo::sqlite
