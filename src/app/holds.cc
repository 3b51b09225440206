#include "app/reservations.h"

#include "common/assert.h"

namespace bo {

Reservation NewHold(Services& svc, std::string_view user_id, const Schedule& schedule) {
  const UnixMs now_ms = svc.clock.NowMs();
  Reservation r;
  r.id = svc.ids.Next("res");
  r.user_id = std::string(user_id);
  r.schedule_id = schedule.id;
  r.concert_id = schedule.concert_id;
  r.status = ReservationStatus::kHeld;
  r.created_at_ms = now_ms;
  r.expires_at_ms = svc.hold.ExpiresAt(now_ms);
  return r;
}

Result<Reservation> FindOwnReservation(StoreReader& reader, std::string_view user_id,
                                       std::string_view reservation_id) {
  auto r = reader.FindReservation(reservation_id);
  if (!r || r->user_id != user_id) {
    return MakeError(ErrorCode::kNotFound,
                     "reservation " + std::string(reservation_id) + " does not exist");
  }
  return std::move(*r);
}

void ReleaseInventory(WriteTx& tx, const Reservation& r) {
  if (r.is_general_admission()) {
    tx.ReturnUnits(r.ticket_type_id, r.quantity);
  } else {
    const int released = tx.ReleaseSeats(r.id, r.schedule_id);
    BO_ASSERT(released == r.quantity);  // a HELD reservation holds each of its seats
  }
}

}  // namespace bo
