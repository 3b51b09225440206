// The rows both SQL adapters read, and how a row becomes a domain value: one column list per
// table (BO_*_COLUMNS, in the order the mappers read) and one mapper per type.
//
// REQUIRES of Row: Text(column) returns the value as text (empty for NULL) and Int(column) as
// a 64-bit integer (0 for NULL).
#pragma once

#include <string>

#include "domain/catalog.h"
#include "domain/payment.h"
#include "domain/reservation.h"
#include "domain/user.h"
#include "domain/wallet.h"

namespace bo {

template <class Row>
User UserFrom(const Row& q) {
  User u;
  u.id = q.Text(0);
  u.email = q.Text(1);
  u.name = q.Text(2);
  u.password_hash = q.Text(3);
  u.grade = ParseGrade(q.Text(4)).value_or(Grade::kBasic);
  u.role = ParseRole(q.Text(5)).value_or(Role::kUser);
  u.created_at_ms = q.Int(6);
  return u;
}
#define BO_USER_COLUMNS "id, email, name, password_hash, grade, role, created_at_ms"

template <class Row>
Concert ConcertFrom(const Row& q) {
  return Concert{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Int(4)};
}
#define BO_CONCERT_COLUMNS "id, name, artist, venue, created_at_ms"

template <class Row>
Schedule ScheduleFrom(const Row& q) {
  Schedule s;
  s.id = q.Text(0);
  s.concert_id = q.Text(1);
  s.starts_at_ms = q.Int(2);
  s.seats_total = static_cast<int>(q.Int(3));
  s.seats_available = static_cast<int>(q.Int(4));
  return s;
}
#define BO_SCHEDULE_COLUMNS "id, concert_id, starts_at_ms, seats_total, seats_available"

template <class Row>
Seat SeatFrom(const Row& q) {
  Seat s;
  s.id = q.Text(0);
  s.schedule_id = q.Text(1);
  s.section = q.Text(2);
  s.row = q.Text(3);
  s.number = static_cast<int>(q.Int(4));
  s.grade = q.Text(5);
  s.price = q.Int(6);
  s.status = ParseSeatStatus(q.Text(7)).value_or(SeatStatus::kAvailable);
  return s;
}
#define BO_SEAT_COLUMNS "id, schedule_id, section, row_label, number, grade, price, status"

template <class Row>
TicketType TicketTypeFrom(const Row& q) {
  TicketType t;
  t.id = q.Text(0);
  t.schedule_id = q.Text(1);
  t.name = q.Text(2);
  t.price = q.Int(3);
  t.capacity = static_cast<int>(q.Int(4));
  t.taken = static_cast<int>(q.Int(5));
  return t;
}
#define BO_TICKET_TYPE_COLUMNS "id, schedule_id, name, price, capacity, taken"

template <class Row>
Reservation ReservationFrom(const Row& q) {
  Reservation r;
  r.id = q.Text(0);
  r.user_id = q.Text(1);
  r.schedule_id = q.Text(2);
  r.concert_id = q.Text(3);
  r.ticket_type_id = q.Text(4);
  r.quantity = static_cast<int>(q.Int(5));
  r.amount = q.Int(6);
  r.status = ParseReservationStatus(q.Text(7)).value_or(ReservationStatus::kHeld);
  r.expires_at_ms = q.Int(8);
  r.created_at_ms = q.Int(9);
  return r;
}
#define BO_RESERVATION_COLUMNS                                                       \
  "id, user_id, schedule_id, concert_id, ticket_type_id, quantity, amount, status, " \
  "expires_at_ms, created_at_ms"

template <class Row>
WalletTransaction WalletTransactionFrom(const Row& q) {
  WalletTransaction t;
  t.id = q.Text(0);
  t.user_id = q.Text(1);
  t.kind = ParseWalletTxKind(q.Text(2)).value_or(WalletTxKind::kCharge);
  t.amount = q.Int(3);
  t.balance_after = q.Int(4);
  t.payment_id = q.Text(5);
  t.created_at_ms = q.Int(6);
  return t;
}
#define BO_WALLET_TX_COLUMNS "id, user_id, kind, amount, balance_after, payment_id, created_at_ms"

template <class Row>
Ticket TicketFrom(const Row& q) {
  Ticket t;
  t.id = q.Text(0);
  t.user_id = q.Text(1);
  t.payment_id = q.Text(2);
  t.reservation_id = q.Text(3);
  t.schedule_id = q.Text(4);
  t.seat_id = q.Text(5);
  t.ticket_type_id = q.Text(6);
  t.code = q.Text(7);
  t.status = q.Text(8) == "VALID" ? TicketStatus::kValid : TicketStatus::kRefunded;
  return t;
}
#define BO_TICKET_COLUMNS \
  "id, user_id, payment_id, reservation_id, schedule_id, seat_id, ticket_type_id, code, status"

}  // namespace bo
