#include "adapters/postgres/reads.h"

#include <map>

#include "adapters/postgres/array_param.h"
#include "adapters/rows.h"
#include "common/assert.h"

namespace bo::postgres {
namespace {

using pg::Param;
using pg::Reply;
using pg::Row;
using pg::SetForm;
using pg::SetReply;
using pg::Statement;

constexpr Statement kUserById{"r_user_by_id",
                              "SELECT " BO_USER_COLUMNS " FROM users WHERE id = $1"};
constexpr Statement kUserByEmail{"r_user_by_email",
                                 "SELECT " BO_USER_COLUMNS " FROM users WHERE email = $1"};
constexpr Statement kConcertsAfter{"r_concerts_after",
                                   "SELECT " BO_CONCERT_COLUMNS
                                   " FROM concerts WHERE id > $1 ORDER BY id LIMIT $2::int"};
constexpr Statement kConcert{"r_concert",
                             "SELECT " BO_CONCERT_COLUMNS " FROM concerts WHERE id = $1"};
constexpr Statement kSchedulesOf{
    "r_schedules_of", "SELECT " BO_SCHEDULE_COLUMNS
                      " FROM schedules WHERE concert_id = $1 AND starts_at_ms >= $2::bigint"
                      " AND starts_at_ms < $3::bigint ORDER BY starts_at_ms, id LIMIT $4::int"};
// Every hold reads its schedule: the holds of an interleaved batch read theirs in one
// statement (pg::SetForm; the unnested columns are named so as not to clash with the table's).
constexpr SetForm kSchedules{
    {"r_schedule_set", "SELECT u.ord, " BO_SCHEDULE_COLUMNS
                       " FROM unnest($1::text[]) WITH ORDINALITY AS u(wanted, ord)"
                       " JOIN schedules ON id = u.wanted"},
    SetReply::kRowsByOrdinal};
constexpr Statement kSchedule{
    "r_schedule", "SELECT " BO_SCHEDULE_COLUMNS " FROM schedules WHERE id = $1", &kSchedules};
// Each element of the set form's array is the text[] literal of one run's ids.
constexpr SetForm kTicketTypesOfEach{
    {"r_ticket_types_of_set", "SELECT u.ord, " BO_TICKET_TYPE_COLUMNS
                              " FROM unnest($1::text[]) WITH ORDINALITY AS u(wanted, ord)"
                              " JOIN ticket_types ON schedule_id = ANY(u.wanted::text[])"
                              " ORDER BY u.ord, schedule_id, id"},
    SetReply::kRowsByOrdinal};
constexpr Statement kTicketTypesOf{"r_ticket_types_of",
                                   "SELECT " BO_TICKET_TYPE_COLUMNS
                                   " FROM ticket_types WHERE schedule_id = ANY($1::text[])"
                                   " ORDER BY schedule_id, id",
                                   &kTicketTypesOfEach};
constexpr Statement kSeatsOf{"r_seats_of", "SELECT " BO_SEAT_COLUMNS
                                           " FROM seats WHERE schedule_id = $1"
                                           " ORDER BY section, row_label, number"};
// A refused hold reads its seat to say why.
constexpr SetForm kSeats{{"r_seat_set", "SELECT u.ord, " BO_SEAT_COLUMNS
                                        " FROM unnest($1::text[]) WITH ORDINALITY AS u(wanted, ord)"
                                        " JOIN seats ON id = u.wanted"},
                         SetReply::kRowsByOrdinal};
constexpr Statement kSeat{"r_seat", "SELECT " BO_SEAT_COLUMNS " FROM seats WHERE id = $1", &kSeats};
constexpr Statement kTicketType{
    "r_ticket_type", "SELECT " BO_TICKET_TYPE_COLUMNS " FROM ticket_types WHERE id = $1"};
constexpr Statement kReservation{
    "r_reservation", "SELECT " BO_RESERVATION_COLUMNS " FROM reservations WHERE id = $1"};
constexpr Statement kSeatIdsOf{"r_seat_ids_of",
                               "SELECT reservation_id, seat_id FROM reservation_seats"
                               " WHERE reservation_id = ANY($1::text[])"
                               " ORDER BY reservation_id, position"};
constexpr Statement kReservationsOf{
    "r_reservations_of",
    "SELECT " BO_RESERVATION_COLUMNS
    " FROM reservations WHERE user_id = $1 AND ($2::text = '' OR id < $2::text)"
    " ORDER BY id DESC LIMIT $3::int"};
constexpr Statement kBalance{"r_balance", "SELECT balance FROM wallets WHERE user_id = $1"};
constexpr Statement kWalletTxsOf{
    "r_wallet_txs_of",
    "SELECT " BO_WALLET_TX_COLUMNS
    " FROM wallet_transactions WHERE user_id = $1 AND ($2::text = '' OR id < $2::text)"
    " ORDER BY id DESC LIMIT $3::int"};
constexpr Statement kPayment{"r_payment",
                             "SELECT id, user_id, reservation_id, method, amount, status,"
                             " created_at_ms FROM payments WHERE id = $1"};
constexpr Statement kTicketsOfPayment{"r_tickets_of_payment",
                                      "SELECT " BO_TICKET_COLUMNS
                                      " FROM tickets WHERE payment_id = $1 ORDER BY id"};
constexpr Statement kTicketsOf{"r_tickets_of",
                               "SELECT " BO_TICKET_COLUMNS
                               " FROM tickets WHERE user_id = $1 AND id > $2 ORDER BY id"
                               " LIMIT $3::int"};
constexpr Statement kTicket{"r_ticket", "SELECT " BO_TICKET_COLUMNS " FROM tickets WHERE id = $1"};
// A request with an Idempotency-Key looks for its stored answer first.
constexpr SetForm kIdempotents{
    {"r_idempotent_set",
     "SELECT u.ord, fingerprint, status, body"
     " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(wanted_user, wanted_key, ord)"
     " JOIN idempotency_keys ON user_id = u.wanted_user AND key = u.wanted_key"},
    SetReply::kRowsByOrdinal};
constexpr Statement kIdempotent{"r_idempotent",
                                "SELECT fingerprint, status, body FROM idempotency_keys"
                                " WHERE user_id = $1 AND key = $2",
                                &kIdempotents};

// The reply's rows, up to `limit`, and the cursor of the next page if the reply holds one more
// row (the statements ask for limit + 1).
template <class T, class From>
Page<T> PageOf(const Reply& reply, int limit, From from) {
  BO_ASSERT(limit > 0);
  Page<T> page;
  for (int i = 0; i < reply.rows(); ++i) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = page.items.back().id;
      break;
    }
    page.items.push_back(from(Row(reply, i)));
  }
  return page;
}

template <class T, class From>
std::optional<T> FirstOf(const Reply& reply, From from) {
  if (reply.rows() == 0) return std::nullopt;
  return from(Row(reply, 0));
}

// The text[] literal of `ids`.
std::string IdArray(const std::vector<std::string>& ids) {
  return pg::TextArray(ids.size(), [&](size_t i) -> const std::string& { return ids[i]; });
}

// Gives each schedule its ticket types from a reply of kTicketTypesOf.
void AttachTicketTypes(const Reply& reply, std::vector<Schedule>& schedules) {
  std::map<std::string, std::vector<TicketType>> by_schedule;
  for (int i = 0; i < reply.rows(); ++i) {
    TicketType t = TicketTypeFrom(Row(reply, i));
    by_schedule[t.schedule_id].push_back(std::move(t));
  }
  for (auto& s : schedules) s.ticket_types = std::move(by_schedule[s.id]);
}

}  // namespace

template <class Base>
std::vector<Reply> ReadOps<Base>::Send(size_t last) {
  if (fibers_ != nullptr) return fibers_->Await(last);  // a failure abandons the whole batch
  std::vector<Reply> replies = conn_.RoundTrip();
  BO_ASSERT(replies.size() >= last);
  for (const Reply& reply : replies) {
    if (reply.sqlstate() == pg::kDeadlockDetected ||
        reply.sqlstate() == pg::kSerializationFailure) {
      retry_needed_ = true;
    }
    reply.Check("a statement");
  }
  replies.erase(replies.begin(), replies.end() - static_cast<std::ptrdiff_t>(last));
  return replies;
}

template <class Base>
Reply ReadOps<Base>::Fetch(const Statement& statement, std::initializer_list<Param> params) {
  Queue(statement, params);
  return std::move(Send(1).front());
}

template <class Base>
void ReadOps<Base>::Queue(const Statement& statement, std::initializer_list<Param> params) {
  if (fibers_ != nullptr) {
    fibers_->Queue(statement, params);
  } else {
    conn_.Queue(statement, params);
  }
}

template <class Base>
std::optional<User> ReadOps<Base>::FindUserById(std::string_view id) {
  return FirstOf<User>(Fetch(kUserById, {id}), UserFrom<Row>);
}

template <class Base>
std::optional<User> ReadOps<Base>::FindUserByEmail(std::string_view email) {
  return FirstOf<User>(Fetch(kUserByEmail, {email}), UserFrom<Row>);
}

template <class Base>
Page<Concert> ReadOps<Base>::ListConcerts(std::string_view after_id, int limit) {
  return PageOf<Concert>(Fetch(kConcertsAfter, {after_id, limit + 1}), limit, ConcertFrom<Row>);
}

template <class Base>
std::optional<Concert> ReadOps<Base>::FindConcert(std::string_view id) {
  return FirstOf<Concert>(Fetch(kConcert, {id}), ConcertFrom<Row>);
}

template <class Base>
std::vector<Schedule> ReadOps<Base>::ListSchedules(std::string_view concert_id, UnixMs from_ms,
                                                   UnixMs to_ms, int limit) {
  std::vector<Schedule> out;
  {
    const Reply reply = Fetch(kSchedulesOf, {concert_id, from_ms, to_ms, limit});
    for (int i = 0; i < reply.rows(); ++i) out.push_back(ScheduleFrom(Row(reply, i)));
  }
  if (out.empty()) return out;
  std::vector<std::string> ids;
  for (const auto& s : out) ids.push_back(s.id);
  AttachTicketTypes(Fetch(kTicketTypesOf, {IdArray(ids)}), out);
  return out;
}

template <class Base>
std::optional<Schedule> ReadOps<Base>::FindSchedule(std::string_view id) {
  Queue(kSchedule, {id});
  Queue(kTicketTypesOf, {IdArray({std::string(id)})});
  auto replies = Send(2);
  if (replies[0].rows() == 0) return std::nullopt;
  std::vector<Schedule> found{ScheduleFrom(Row(replies[0], 0))};
  AttachTicketTypes(replies[1], found);
  return std::move(found.front());
}

template <class Base>
std::vector<Seat> ReadOps<Base>::ListSeats(std::string_view schedule_id) {
  const Reply reply = Fetch(kSeatsOf, {schedule_id});
  std::vector<Seat> out;
  out.reserve(static_cast<size_t>(reply.rows()));
  for (int i = 0; i < reply.rows(); ++i) out.push_back(SeatFrom(Row(reply, i)));
  return out;
}

template <class Base>
std::optional<Seat> ReadOps<Base>::FindSeat(std::string_view id) {
  return FirstOf<Seat>(Fetch(kSeat, {id}), SeatFrom<Row>);
}

template <class Base>
std::optional<TicketType> ReadOps<Base>::FindTicketType(std::string_view id) {
  return FirstOf<TicketType>(Fetch(kTicketType, {id}), TicketTypeFrom<Row>);
}

template <class Base>
void ReadOps<Base>::FillSeatIds(std::vector<Reservation>& reservations) {
  std::vector<std::string> ids;
  for (const auto& r : reservations) {
    if (!r.is_general_admission()) ids.push_back(r.id);
  }
  if (ids.empty()) return;
  const Reply reply = Fetch(kSeatIdsOf, {IdArray(ids)});
  std::map<std::string, std::vector<std::string>> by_reservation;
  for (int i = 0; i < reply.rows(); ++i) {
    by_reservation[reply.Text(i, 0)].push_back(reply.Text(i, 1));
  }
  for (auto& r : reservations) {
    if (!r.is_general_admission()) r.seat_ids = std::move(by_reservation[r.id]);
  }
}

template <class Base>
std::optional<Reservation> ReadOps<Base>::FindReservation(std::string_view id) {
  Queue(kReservation, {id});
  Queue(kSeatIdsOf, {IdArray({std::string(id)})});
  auto replies = Send(2);
  auto r = FirstOf<Reservation>(replies[0], ReservationFrom<Row>);
  if (r && !r->is_general_admission()) {
    for (int i = 0; i < replies[1].rows(); ++i) r->seat_ids.push_back(replies[1].Text(i, 1));
  }
  return r;
}

template <class Base>
Page<Reservation> ReadOps<Base>::ListReservations(std::string_view user_id,
                                                  std::string_view before_id, int limit) {
  auto page = PageOf<Reservation>(Fetch(kReservationsOf, {user_id, before_id, limit + 1}), limit,
                                  ReservationFrom<Row>);
  FillSeatIds(page.items);
  return page;
}

template <class Base>
Money ReadOps<Base>::WalletBalance(std::string_view user_id) {
  const Reply reply = Fetch(kBalance, {user_id});
  return reply.rows() > 0 ? reply.Int64(0, 0) : 0;
}

template <class Base>
Page<WalletTransaction> ReadOps<Base>::ListWalletTransactions(std::string_view user_id,
                                                              std::string_view before_id,
                                                              int limit) {
  return PageOf<WalletTransaction>(Fetch(kWalletTxsOf, {user_id, before_id, limit + 1}), limit,
                                   WalletTransactionFrom<Row>);
}

template <class Base>
std::optional<Payment> ReadOps<Base>::FindPayment(std::string_view id) {
  Queue(kPayment, {id});
  Queue(kTicketsOfPayment, {id});
  auto replies = Send(2);
  if (replies[0].rows() == 0) return std::nullopt;
  const Row row(replies[0], 0);
  Payment p{row.Text(0), row.Text(1), row.Text(2), row.Text(3),
            row.Int(4),  row.Text(5), row.Int(6),  {}};
  for (int i = 0; i < replies[1].rows(); ++i) p.tickets.push_back(TicketFrom(Row(replies[1], i)));
  return p;
}

template <class Base>
Page<Ticket> ReadOps<Base>::ListTickets(std::string_view user_id, std::string_view after_id,
                                        int limit) {
  return PageOf<Ticket>(Fetch(kTicketsOf, {user_id, after_id, limit + 1}), limit, TicketFrom<Row>);
}

template <class Base>
std::optional<Ticket> ReadOps<Base>::FindTicket(std::string_view id) {
  return FirstOf<Ticket>(Fetch(kTicket, {id}), TicketFrom<Row>);
}

template <class Base>
std::optional<StoredResponse> ReadOps<Base>::FindIdempotentResponse(std::string_view user_id,
                                                                    std::string_view key) {
  const Reply reply = Fetch(kIdempotent, {user_id, key});
  if (reply.rows() == 0) return std::nullopt;
  return StoredResponse{reply.Text(0, 0), static_cast<int>(reply.Int64(0, 1)), reply.Text(0, 2)};
}

template class ReadOps<StoreReader>;
template class ReadOps<WriteTx>;

}  // namespace bo::postgres
