#include "app/reservations.h"

#include "codec/resources.h"
#include "common/assert.h"

namespace bo {

void ReleaseInventory(WriteTx& tx, const Reservation& r) {
  if (r.is_general_admission()) {
    tx.ReturnUnits(r.ticket_type_id, r.quantity);
  } else {
    const int released = tx.ReleaseSeats(r.id, r.schedule_id);
    BO_ASSERT(released == r.quantity);  // a HELD reservation holds each of its seats
  }
}

Result<int> ExpireHolds(WriteTx& tx, Services& svc, std::string_view schedule_id) {
  const UnixMs now_ms = svc.clock.NowMs();
  int expired = 0;
  for (auto& r : tx.DueHolds(now_ms, schedule_id, kExpireBatchSizeMax)) {
    // Conditional on HELD and on the clock: a payment that won the race leaves 0 rows here.
    if (!tx.TransitionReservation(r.id, ReservationStatus::kHeld, ReservationStatus::kExpired,
                                  ExpiryGuard::kAtOrAfterExpiry, now_ms)) {
      continue;
    }
    ReleaseInventory(tx, r);
    r.status = ReservationStatus::kExpired;
    tx.AppendEvent(
        Event{svc.ids.Next("evt"), kEventReservationExpired, now_ms, ToJson(r, &WriteReservation)});
    ++expired;
  }
  return expired;
}

}  // namespace bo
