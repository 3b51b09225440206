#include "app/reservations.h"

#include "common/assert.h"

namespace bo {

Result<Reservation> ReserveSeats(WriteTx& tx, Services& svc, const ReserveSeatsCommand& cmd) {
  BO_ASSERT(!cmd.seat_ids.empty() && cmd.seat_ids.size() <= kSeatsPerReservationMax);
  const auto schedule = tx.FindSchedule(cmd.schedule_id);
  if (!schedule)
    return MakeError(ErrorCode::kNotFound, "schedule " + cmd.schedule_id + " does not exist");

  Reservation r = NewHold(svc, cmd.user_id, *schedule);
  r.seat_ids = cmd.seat_ids;
  r.quantity = static_cast<int>(cmd.seat_ids.size());

  bool swept = false;
  for (const auto& seat_id : cmd.seat_ids) {
    auto price = tx.HoldSeat(seat_id, cmd.schedule_id, r.id);
    if (!price && !swept) {
      // The seat may belong to a hold that is due but not yet swept: expire due holds of this
      // schedule now and try once more.
      swept = true;
      auto expired = ExpireHolds(tx, svc, cmd.schedule_id);
      if (expired.ok() && *expired > 0) price = tx.HoldSeat(seat_id, cmd.schedule_id, r.id);
    }
    if (!price) {
      const auto seat = tx.FindSeat(seat_id);
      if (!seat || seat->schedule_id != cmd.schedule_id) {
        return MakeError(ErrorCode::kNotFound,
                         "seat " + seat_id + " is not a seat of schedule " + cmd.schedule_id);
      }
      // Still AVAILABLE here: another transaction is taking or releasing it at this moment.
      const std::string state = seat->status == SeatStatus::kAvailable
                                    ? "being taken by another hold"
                                    : std::string(SeatStatusName(seat->status));
      return MakeError(ErrorCode::kSeatUnavailable, "seat " + seat_id + " is " + state);
    }
    r.amount += *price;
  }
  tx.InsertReservation(r);
  return r;
}

}  // namespace bo
