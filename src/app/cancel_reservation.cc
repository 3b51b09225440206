#include "app/reservations.h"

#include "codec/resources.h"

namespace bo {

Result<Reservation> CancelReservation(WriteTx& tx, Services& svc, std::string_view user_id,
                                      std::string_view reservation_id) {
  auto r = FindOwnReservation(tx, user_id, reservation_id);
  if (!r.ok()) return r.error();
  const UnixMs now_ms = svc.clock.NowMs();
  if (!tx.TransitionReservation(r->id, ReservationStatus::kHeld, ReservationStatus::kCancelled,
                                ExpiryGuard::kBeforeExpiry, now_ms)) {
    const bool due = HoldPolicy::IsDue(*r, now_ms);
    return MakeError(ErrorCode::kInvalidState,
                     "reservation is " +
                         std::string(due ? "EXPIRED" : ReservationStatusName(r->status)) +
                         "; only a HELD reservation can be cancelled");
  }
  ReleaseInventory(tx, *r);
  r->status = ReservationStatus::kCancelled;
  tx.AppendEvent(Event{svc.ids.Next("evt"), kEventReservationCancelled, now_ms,
                       ToJson(*r, &WriteReservation)});
  return std::move(*r);
}

}  // namespace bo
