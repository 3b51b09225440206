#include "app/payments.h"
#include "app/reservations.h"

#include "codec/resources.h"

namespace bo {
namespace {

Ticket NewTicket(Services& svc, const Reservation& r, const std::string& payment_id) {
  Ticket t;
  t.id = svc.ids.Next("tkt");
  t.user_id = r.user_id;
  t.payment_id = payment_id;
  t.reservation_id = r.id;
  t.schedule_id = r.schedule_id;
  t.ticket_type_id = r.ticket_type_id;
  return t;
}

}  // namespace

Result<Payment> PayReservation(WriteTx& tx, Services& svc, std::string_view user_id,
                               std::string_view reservation_id) {
  auto r = FindOwnReservation(tx, user_id, reservation_id);
  if (!r.ok()) return r.error();
  const UnixMs now_ms = svc.clock.NowMs();
  if (r->status == ReservationStatus::kExpired || HoldPolicy::IsDue(*r, now_ms)) {
    return MakeError(ErrorCode::kReservationExpired,
                     "the hold expired at " + FormatRfc3339(r->expires_at_ms));
  }
  if (!tx.TransitionReservation(r->id, ReservationStatus::kHeld, ReservationStatus::kPaid,
                                ExpiryGuard::kBeforeExpiry, now_ms)) {
    return MakeError(ErrorCode::kInvalidState, "reservation is " +
                                                   std::string(ReservationStatusName(r->status)) +
                                                   "; only a HELD reservation can be paid");
  }
  const auto balance = tx.DebitWallet(user_id, r->amount);
  if (!balance) {
    return MakeError(ErrorCode::kInsufficientBalance,
                     "the wallet balance " + std::to_string(tx.WalletBalance(user_id)) +
                         " does not cover " + std::to_string(r->amount));
  }
  if (!r->is_general_admission() && tx.SellSeats(r->id) != r->quantity) {
    return MakeError(ErrorCode::kInternal, "reservation " + r->id + " does not hold its seats");
  }

  Payment p;
  p.id = svc.ids.Next("pay");
  p.user_id = r->user_id;
  p.reservation_id = r->id;
  p.method = "POINTS";
  p.amount = r->amount;
  p.status = "PAID";
  p.created_at_ms = now_ms;
  for (int i = 0; i < r->quantity; ++i) {
    Ticket t = NewTicket(svc, *r, p.id);
    if (!r->is_general_admission()) t.seat_id = r->seat_ids[static_cast<size_t>(i)];
    t.code = svc.ticket_codes.Sign(t);
    p.tickets.push_back(std::move(t));
  }
  tx.InsertPayment(p);

  WalletTransaction debit;
  debit.id = svc.ids.Next("wtx");
  debit.user_id = r->user_id;
  debit.kind = WalletTxKind::kPayment;
  debit.amount = r->amount;
  debit.balance_after = *balance;
  debit.payment_id = p.id;
  debit.created_at_ms = now_ms;
  tx.InsertWalletTransaction(debit);

  tx.AppendEvent(
      Event{svc.ids.Next("evt"), kEventPaymentCompleted, now_ms, ToJson(p, &WritePayment)});
  return p;
}

}  // namespace bo
