#include "app/reservations.h"

#include "codec/resources.h"

namespace bo {

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
