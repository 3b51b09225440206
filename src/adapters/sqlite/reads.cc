#include "adapters/sqlite/reads.h"

#include "adapters/rows.h"
#include "common/assert.h"

namespace bo::sqlite {
namespace {

// Reads up to limit + 1 rows so that it knows whether another page follows.
template <class T, class From>
Page<T> PageOf(Query& q, int limit, From from) {
  BO_ASSERT(limit > 0);
  Page<T> page;
  while (q.Step()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = page.items.back().id;
      break;
    }
    page.items.push_back(from(q));
  }
  return page;
}

}  // namespace

template <class Base>
std::optional<User> ReadOps<Base>::FindUserById(std::string_view id) {
  auto q = db_.Prepare("SELECT " BO_USER_COLUMNS " FROM users WHERE id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return UserFrom(q);
}

template <class Base>
std::optional<User> ReadOps<Base>::FindUserByEmail(std::string_view email) {
  auto q = db_.Prepare("SELECT " BO_USER_COLUMNS " FROM users WHERE email = ?1");
  q.Bind(1, email);
  if (!q.Step()) return std::nullopt;
  return UserFrom(q);
}

template <class Base>
Page<Concert> ReadOps<Base>::ListConcerts(std::string_view after_id, int limit) {
  auto q =
      db_.Prepare("SELECT " BO_CONCERT_COLUMNS " FROM concerts WHERE id > ?1 ORDER BY id LIMIT ?2");
  q.Bind(1, after_id).Bind(2, limit + 1);
  return PageOf<Concert>(q, limit, ConcertFrom<Query>);
}

template <class Base>
std::optional<Concert> ReadOps<Base>::FindConcert(std::string_view id) {
  auto q = db_.Prepare("SELECT " BO_CONCERT_COLUMNS " FROM concerts WHERE id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return ConcertFrom(q);
}

template <class Base>
std::vector<TicketType> ReadOps<Base>::TicketTypesOf(std::string_view schedule_id) {
  auto q = db_.Prepare("SELECT " BO_TICKET_TYPE_COLUMNS
                       " FROM ticket_types WHERE schedule_id = ?1 ORDER BY id");
  q.Bind(1, schedule_id);
  std::vector<TicketType> out;
  while (q.Step()) out.push_back(TicketTypeFrom(q));
  return out;
}

template <class Base>
std::vector<Schedule> ReadOps<Base>::ListSchedules(std::string_view concert_id, UnixMs from_ms,
                                                   UnixMs to_ms, int limit) {
  std::vector<Schedule> out;
  {
    auto q = db_.Prepare("SELECT " BO_SCHEDULE_COLUMNS
                         " FROM schedules WHERE concert_id = ?1 AND starts_at_ms >= ?2"
                         " AND starts_at_ms < ?3 ORDER BY starts_at_ms, id LIMIT ?4");
    q.Bind(1, concert_id).Bind(2, from_ms).Bind(3, to_ms).Bind(4, limit);
    while (q.Step()) out.push_back(ScheduleFrom(q));
  }
  for (auto& s : out) s.ticket_types = TicketTypesOf(s.id);
  return out;
}

template <class Base>
std::optional<Schedule> ReadOps<Base>::FindSchedule(std::string_view id) {
  std::optional<Schedule> s;
  {
    auto q = db_.Prepare("SELECT " BO_SCHEDULE_COLUMNS " FROM schedules WHERE id = ?1");
    q.Bind(1, id);
    if (!q.Step()) return std::nullopt;
    s = ScheduleFrom(q);
  }
  s->ticket_types = TicketTypesOf(s->id);
  return s;
}

template <class Base>
std::vector<Seat> ReadOps<Base>::ListSeats(std::string_view schedule_id) {
  auto q = db_.Prepare("SELECT " BO_SEAT_COLUMNS
                       " FROM seats WHERE schedule_id = ?1"
                       " ORDER BY section, row_label, number");
  q.Bind(1, schedule_id);
  std::vector<Seat> out;
  while (q.Step()) out.push_back(SeatFrom(q));
  return out;
}

template <class Base>
std::optional<Seat> ReadOps<Base>::FindSeat(std::string_view id) {
  auto q = db_.Prepare("SELECT " BO_SEAT_COLUMNS " FROM seats WHERE id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return SeatFrom(q);
}

template <class Base>
std::optional<TicketType> ReadOps<Base>::FindTicketType(std::string_view id) {
  auto q = db_.Prepare("SELECT " BO_TICKET_TYPE_COLUMNS " FROM ticket_types WHERE id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return TicketTypeFrom(q);
}

template <class Base>
std::vector<std::string> ReadOps<Base>::SeatIdsOf(std::string_view reservation_id) {
  auto q = db_.Prepare(
      "SELECT seat_id FROM reservation_seats WHERE reservation_id = ?1 ORDER BY position");
  q.Bind(1, reservation_id);
  std::vector<std::string> out;
  while (q.Step()) out.push_back(q.Text(0));
  return out;
}

template <class Base>
std::optional<Reservation> ReadOps<Base>::FindReservation(std::string_view id) {
  std::optional<Reservation> r;
  {
    auto q = db_.Prepare("SELECT " BO_RESERVATION_COLUMNS " FROM reservations WHERE id = ?1");
    q.Bind(1, id);
    if (!q.Step()) return std::nullopt;
    r = ReservationFrom(q);
  }
  if (!r->is_general_admission()) r->seat_ids = SeatIdsOf(r->id);
  return r;
}

template <class Base>
Page<Reservation> ReadOps<Base>::ListReservations(std::string_view user_id,
                                                  std::string_view before_id, int limit) {
  Page<Reservation> page;
  {
    auto q = db_.Prepare("SELECT " BO_RESERVATION_COLUMNS
                         " FROM reservations WHERE user_id = ?1 AND (?2 = '' OR id < ?2)"
                         " ORDER BY id DESC LIMIT ?3");
    q.Bind(1, user_id).Bind(2, before_id).Bind(3, limit + 1);
    page = PageOf<Reservation>(q, limit, ReservationFrom<Query>);
  }
  for (auto& r : page.items) {
    if (!r.is_general_admission()) r.seat_ids = SeatIdsOf(r.id);
  }
  return page;
}

template <class Base>
Money ReadOps<Base>::WalletBalance(std::string_view user_id) {
  auto q = db_.Prepare("SELECT balance FROM wallets WHERE user_id = ?1");
  q.Bind(1, user_id);
  return q.Step() ? q.Int(0) : 0;
}

template <class Base>
Page<WalletTransaction> ReadOps<Base>::ListWalletTransactions(std::string_view user_id,
                                                              std::string_view before_id,
                                                              int limit) {
  auto q = db_.Prepare("SELECT " BO_WALLET_TX_COLUMNS
                       " FROM wallet_transactions WHERE user_id = ?1 AND (?2 = '' OR id < ?2)"
                       " ORDER BY id DESC LIMIT ?3");
  q.Bind(1, user_id).Bind(2, before_id).Bind(3, limit + 1);
  return PageOf<WalletTransaction>(q, limit, WalletTransactionFrom<Query>);
}

template <class Base>
std::vector<Ticket> ReadOps<Base>::TicketsOfPayment(std::string_view payment_id) {
  auto q =
      db_.Prepare("SELECT " BO_TICKET_COLUMNS " FROM tickets WHERE payment_id = ?1 ORDER BY id");
  q.Bind(1, payment_id);
  std::vector<Ticket> out;
  while (q.Step()) out.push_back(TicketFrom(q));
  return out;
}

template <class Base>
std::optional<Payment> ReadOps<Base>::FindPayment(std::string_view id) {
  std::optional<Payment> p;
  {
    auto q = db_.Prepare(
        "SELECT id, user_id, reservation_id, method, amount, status, created_at_ms"
        " FROM payments WHERE id = ?1");
    q.Bind(1, id);
    if (!q.Step()) return std::nullopt;
    p = Payment{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Int(4), q.Text(5), q.Int(6), {}};
  }
  p->tickets = TicketsOfPayment(p->id);
  return p;
}

template <class Base>
Page<Ticket> ReadOps<Base>::ListTickets(std::string_view user_id, std::string_view after_id,
                                        int limit) {
  auto q = db_.Prepare("SELECT " BO_TICKET_COLUMNS
                       " FROM tickets WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
  q.Bind(1, user_id).Bind(2, after_id).Bind(3, limit + 1);
  return PageOf<Ticket>(q, limit, TicketFrom<Query>);
}

template <class Base>
std::optional<Ticket> ReadOps<Base>::FindTicket(std::string_view id) {
  auto q = db_.Prepare("SELECT " BO_TICKET_COLUMNS " FROM tickets WHERE id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return TicketFrom(q);
}

template <class Base>
std::optional<StoredResponse> ReadOps<Base>::FindIdempotentResponse(std::string_view user_id,
                                                                    std::string_view key) {
  auto q = db_.Prepare(
      "SELECT fingerprint, status, body FROM idempotency_keys WHERE user_id = ?1 AND key = ?2");
  q.Bind(1, user_id).Bind(2, key);
  if (!q.Step()) return std::nullopt;
  return StoredResponse{q.Text(0), static_cast<int>(q.Int(1)), q.Text(2)};
}

template class ReadOps<StoreReader>;
template class ReadOps<WriteTx>;

}  // namespace bo::sqlite
