#include "adapters/postgres/write_tx.h"

#include <algorithm>

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

// Set forms (pg::SetForm) stand before their plain statements: the jobs of an interleaved batch
// that run a statement at the same step send it once for all of them.

constexpr Statement kInsertUser{
    "w_insert_user",
    "INSERT INTO users(id, email, name, password_hash, grade, role, created_at_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::bigint) ON CONFLICT (email) DO NOTHING"};
constexpr Statement kInsertConcert{
    "w_insert_concert",
    "INSERT INTO concerts(id, name, artist, venue, created_at_ms) VALUES ($1, $2, $3, $4, $5)"};
constexpr Statement kInsertSchedule{
    "w_insert_schedule",
    "INSERT INTO schedules(id, concert_id, starts_at_ms, seats_total, seats_available)"
    " VALUES ($1, $2, $3::bigint, $4::int, $5::int)"};
constexpr Statement kInsertTicketType{
    "w_insert_ticket_type",
    "INSERT INTO ticket_types(id, schedule_id, name, price, capacity, taken)"
    " VALUES ($1, $2, $3, $4::bigint, $5::int, 0)"};
constexpr Statement kInsertSeat{
    "w_insert_seat",
    "INSERT INTO seats(id, schedule_id, section, row_label, number, grade, price, status)"
    " VALUES ($1, $2, $3, $4, $5::int, $6, $7::bigint, 'AVAILABLE')"};
// A hold never waits for another transaction: a seat that one has locked (an open hold,
// sale or release of it on another writer lane or instance) is skipped as not available, as if
// the other had already committed. So holds on different lanes cannot deadlock over seats.
//
// A seat wanted by several holds of the set is joined to several of its rows, and PostgreSQL
// updates a row once per statement: one of them gets it and a RETURNING row, the others none.
constexpr SetForm kHoldSeats{
    {"w_hold_seat_set",
     "UPDATE seats AS s SET status = 'HELD', reservation_id = w.reservation_id"
     " FROM (SELECT u.ord, u.reservation_id, t.id"
     "   FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY"
     "     AS u(seat_id, schedule_id, reservation_id, ord)"
     "   JOIN seats AS t ON t.id = u.seat_id AND t.schedule_id = u.schedule_id"
     "     AND t.status = 'AVAILABLE'"
     "   FOR UPDATE OF t SKIP LOCKED) AS w"
     " WHERE s.id = w.id AND s.status = 'AVAILABLE'"
     " RETURNING w.ord, s.price"},
    SetReply::kRowsByOrdinal};
// A hold leaves the schedule's seats_available to kCountSeats (see SeatCounts).
constexpr Statement kHoldSeat{"w_hold_seat",
                              "UPDATE seats SET status = 'HELD', reservation_id = $3"
                              " WHERE id = (SELECT id FROM seats WHERE id = $1 AND schedule_id = $2"
                              "   AND status = 'AVAILABLE' FOR UPDATE SKIP LOCKED)"
                              " AND status = 'AVAILABLE' RETURNING price",
                              &kHoldSeats};
// The seats a reservation holds are found through its reservation_seats rows: seats have no
// index by reservation (see migration 0004).
#define BO_SEATS_LISTED_BY_RESERVATION_1                                    \
  "id IN (SELECT seat_id FROM reservation_seats WHERE reservation_id = $1)" \
  " AND reservation_id = $1"
// Releases are not the hot path: the seats and their schedule's count change in one statement.
constexpr Statement kReleaseSeats{
    "w_release_seats",
    "WITH released AS (UPDATE seats SET status = 'AVAILABLE', reservation_id = NULL"
    "   WHERE " BO_SEATS_LISTED_BY_RESERVATION_1
    " AND status = 'HELD' RETURNING 1),"
    " counted AS (UPDATE schedules"
    "   SET seats_available = seats_available + (SELECT count(*) FROM released)"
    "   WHERE id = $2 AND EXISTS (SELECT 1 FROM released) RETURNING 1)"
    " SELECT count(*) FROM released"};
// seats_available >= 0 is a CHECK: a count that went below zero fails the job (or batch).
constexpr Statement kCountSeats{
    "w_count_seats",
    "UPDATE schedules SET seats_available = seats_available + $2::int WHERE id = $1"};
constexpr Statement kSellSeats{
    "w_sell_seats", "UPDATE seats SET status = 'SOLD' WHERE " BO_SEATS_LISTED_BY_RESERVATION_1
                    " AND status = 'HELD'"};
#undef BO_SEATS_LISTED_BY_RESERVATION_1
constexpr Statement kTakeUnits{"w_take_units",
                               "UPDATE ticket_types SET taken = taken + $2::int WHERE id = $1 AND "
                               "taken + $2::int <= capacity"};
// taken >= 0 is a CHECK: returning more than was taken fails the job.
constexpr Statement kReturnUnits{"w_return_units",
                                 "UPDATE ticket_types SET taken = taken - $2::int WHERE id = $1"};
constexpr SetForm kInsertReservations{
    {"w_insert_reservation_set",
     "INSERT INTO reservations(id, user_id, schedule_id, concert_id, ticket_type_id, quantity,"
     " amount, status, expires_at_ms, created_at_ms)"
     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
     " $6::int[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[])"},
    SetReply::kUnread};
constexpr Statement kInsertReservation{
    "w_insert_reservation",
    "INSERT INTO reservations(id, user_id, schedule_id, concert_id, ticket_type_id, quantity,"
    " amount, status, expires_at_ms, created_at_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6::int, $7::bigint, $8, $9::bigint, $10::bigint)",
    &kInsertReservations};
constexpr SetForm kInsertReservationSeats{
    {"w_insert_reservation_seat_set",
     "INSERT INTO reservation_seats(reservation_id, position, seat_id)"
     " SELECT * FROM unnest($1::text[], $2::int[], $3::text[])"},
    SetReply::kUnread};
constexpr Statement kInsertReservationSeat{
    "w_insert_reservation_seat",
    "INSERT INTO reservation_seats(reservation_id, position, seat_id) VALUES ($1, $2::int, $3)",
    &kInsertReservationSeats};
// Two runs for one reservation: PostgreSQL updates its row once, for one of them.
constexpr SetForm kTransitions{
    {"w_transition_set",
     "UPDATE reservations AS r SET status = u.to_status"
     " FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[]) WITH ORDINALITY"
     "   AS u(id, from_status, to_status, guard, now_ms, ord)"
     " WHERE r.id = u.id AND r.status = u.from_status AND (u.guard = 0"
     "   OR (u.guard = 1 AND u.now_ms < r.expires_at_ms)"
     "   OR (u.guard = 2 AND r.expires_at_ms <= u.now_ms))"
     " RETURNING u.ord"},
    SetReply::kRowsByOrdinal};
// $4 selects the guard: 0 none, 1 only before expiry, 2 only at or after expiry.
constexpr Statement kTransition{
    "w_transition",
    "UPDATE reservations SET status = $3 WHERE id = $1 AND status = $2 AND"
    " ($4::int = 0 OR ($4::int = 1 AND $5::bigint < expires_at_ms)"
    " OR ($4::int = 2 AND expires_at_ms <= $5::bigint))",
    &kTransitions};
constexpr Statement kDueHolds{
    "w_due_holds",
    "SELECT " BO_RESERVATION_COLUMNS
    " FROM reservations WHERE status = 'HELD' AND expires_at_ms <= $1::bigint"
    " AND ($2::text = '' OR schedule_id = $2::text) ORDER BY expires_at_ms, id LIMIT $3::int"
    " FOR UPDATE SKIP LOCKED"};
constexpr Statement kCreditWallet{
    "w_credit_wallet",
    "INSERT INTO wallets AS w (user_id, balance) SELECT $1, $2::bigint WHERE $2::bigint <= "
    "$3::bigint"
    " ON CONFLICT (user_id) DO UPDATE SET balance = w.balance + $2::bigint"
    " WHERE w.balance + $2::bigint <= $3::bigint RETURNING balance"};
constexpr Statement kDebitWallet{
    "w_debit_wallet",
    "UPDATE wallets SET balance = balance - $2::bigint WHERE user_id = $1 AND balance >= $2::bigint"
    " RETURNING balance"};
constexpr SetForm kInsertWalletTxs{
    {"w_insert_wallet_tx_set",
     "INSERT INTO wallet_transactions(id, user_id, kind, amount, balance_after, payment_id,"
     " created_at_ms)"
     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],"
     " $6::text[], $7::bigint[])"},
    SetReply::kUnread};
constexpr Statement kInsertWalletTx{
    "w_insert_wallet_tx",
    "INSERT INTO wallet_transactions(id, user_id, kind, amount, balance_after, payment_id,"
    " created_at_ms) VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7::bigint)",
    &kInsertWalletTxs};
constexpr SetForm kInsertPayments{
    {"w_insert_payment_set",
     "INSERT INTO payments(id, user_id, reservation_id, method, amount, status, created_at_ms)"
     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],"
     " $6::text[], $7::bigint[])"},
    SetReply::kUnread};
constexpr Statement kInsertPayment{
    "w_insert_payment",
    "INSERT INTO payments(id, user_id, reservation_id, method, amount, status, created_at_ms)"
    " VALUES ($1, $2, $3, $4, $5::bigint, $6, $7::bigint)",
    &kInsertPayments};
constexpr SetForm kInsertTickets{
    {"w_insert_ticket_set",
     "INSERT INTO tickets(id, user_id, payment_id, reservation_id, schedule_id, seat_id,"
     " ticket_type_id, code, status)"
     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
     " $6::text[], $7::text[], $8::text[], $9::text[])"},
    SetReply::kUnread};
constexpr Statement kInsertTicket{
    "w_insert_ticket",
    "INSERT INTO tickets(id, user_id, payment_id, reservation_id, schedule_id, seat_id,"
    " ticket_type_id, code, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    &kInsertTickets};
// The rows of a set take their seq in the order of the arrays, so each job's events keep theirs.
constexpr SetForm kAppendEvents{{"w_append_event_set",
                                 "INSERT INTO outbox(id, type, time_ms, data)"
                                 " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[],"
                                 " $4::text[])"},
                                SetReply::kUnread};
constexpr Statement kAppendEvent{
    "w_append_event", "INSERT INTO outbox(id, type, time_ms, data) VALUES ($1, $2, $3::bigint, $4)",
    &kAppendEvents};
constexpr SetForm kSaveIdempotents{
    {"w_save_idempotent_set",
     "INSERT INTO idempotency_keys(user_id, key, fingerprint, status, body, created_at_ms)"
     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],"
     " $6::bigint[])"},
    SetReply::kUnread};
constexpr Statement kSaveIdempotent{
    "w_save_idempotent",
    "INSERT INTO idempotency_keys(user_id, key, fingerprint, status, body, created_at_ms)"
    " VALUES ($1, $2, $3, $4::int, $5, $6::bigint)",
    &kSaveIdempotents};
// The oldest first, as the other stores; rows another transaction is deleting are left to it.
constexpr Statement kPruneIdempotent{
    "w_prune_idempotent",
    "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key"
    " FROM idempotency_keys WHERE created_at_ms < $1::bigint"
    " ORDER BY created_at_ms, user_id, key LIMIT $2::int FOR UPDATE SKIP LOCKED)"};

// Queued writes sent at once at most: a bigger job (a schedule of 100,000 seats) sends them in
// rounds of this many.
constexpr size_t kQueuedWritesMax = 1'000;

}  // namespace

void SeatCounts::Add(std::string_view schedule_id, int change) {
  if (change == 0) return;
  for (auto& [id, total] : changes_) {
    if (id == schedule_id) {
      total += change;
      return;
    }
  }
  changes_.emplace_back(schedule_id, change);
}

void SeatCounts::Merge(const SeatCounts& other) {
  for (const auto& [id, change] : other.changes_) Add(id, change);
}

void SeatCounts::QueueOn(pg::Connection& conn) {
  // In one order everywhere: two lanes counting on the same two schedules lock their rows
  // alike and cannot deadlock.
  std::sort(changes_.begin(), changes_.end());
  for (const auto& [id, change] : changes_) {
    if (change != 0) conn.Queue(kCountSeats, {id, change});
  }
  changes_.clear();
}

void PgWriteTx::QueueWrite(const pg::Statement& statement,
                           std::initializer_list<pg::Param> params) {
  changed_ = true;
  Queue(statement, params);
  if (queued() >= kQueuedWritesMax) (void)Send(0);
}

bool PgWriteTx::InsertUser(const User& u) {
  return Noted(Fetch(kInsertUser, {u.id, u.email, u.name, u.password_hash, GradeName(u.grade),
                                   RoleName(u.role), u.created_at_ms})
                   .affected_rows() == 1);
}

void PgWriteTx::InsertConcert(const Concert& c) {
  QueueWrite(kInsertConcert, {c.id, c.name, c.artist, c.venue, c.created_at_ms});
}

void PgWriteTx::InsertSchedule(const Schedule& s, const std::vector<Seat>& seats) {
  QueueWrite(kInsertSchedule,
             {s.id, s.concert_id, s.starts_at_ms, s.seats_total, s.seats_available});
  for (const auto& t : s.ticket_types) {
    QueueWrite(kInsertTicketType, {t.id, s.id, t.name, t.price, t.capacity});
  }
  for (const auto& seat : seats) {
    QueueWrite(kInsertSeat,
               {seat.id, s.id, seat.section, seat.row, seat.number, seat.grade, seat.price});
  }
}

std::optional<Money> PgWriteTx::HoldSeat(std::string_view seat_id, std::string_view schedule_id,
                                         std::string_view reservation_id) {
  const Reply reply = Fetch(kHoldSeat, {seat_id, schedule_id, reservation_id});
  if (reply.rows() == 0) return std::nullopt;
  changed_ = true;
  seat_counts_.Add(schedule_id, -1);
  return reply.Int64(0, 0);
}

int PgWriteTx::ReleaseSeats(std::string_view reservation_id, std::string_view schedule_id) {
  return Noted(static_cast<int>(Fetch(kReleaseSeats, {reservation_id, schedule_id}).Int64(0, 0)));
}

int PgWriteTx::SellSeats(std::string_view reservation_id) {
  return Noted(static_cast<int>(Fetch(kSellSeats, {reservation_id}).affected_rows()));
}

bool PgWriteTx::TakeUnits(std::string_view ticket_type_id, int n) {
  BO_ASSERT(n > 0);
  return Noted(Fetch(kTakeUnits, {ticket_type_id, n}).affected_rows() == 1);
}

void PgWriteTx::ReturnUnits(std::string_view ticket_type_id, int n) {
  BO_ASSERT(n > 0);
  QueueWrite(kReturnUnits, {ticket_type_id, n});
}

void PgWriteTx::InsertReservation(const Reservation& r) {
  QueueWrite(
      kInsertReservation,
      {r.id, r.user_id, r.schedule_id, r.concert_id, Param::Optional(r.ticket_type_id), r.quantity,
       r.amount, ReservationStatusName(r.status), r.expires_at_ms, r.created_at_ms});
  for (size_t i = 0; i < r.seat_ids.size(); ++i) {
    QueueWrite(kInsertReservationSeat, {r.id, static_cast<int>(i), r.seat_ids[i]});
  }
}

bool PgWriteTx::TransitionReservation(std::string_view id, ReservationStatus from,
                                      ReservationStatus to, ExpiryGuard guard, UnixMs now_ms) {
  BO_ASSERT(IsAllowedTransition(from, to));
  return Noted(Fetch(kTransition, {id, ReservationStatusName(from), ReservationStatusName(to),
                                   static_cast<int>(guard), now_ms})
                   .affected_rows() == 1);
}

std::vector<Reservation> PgWriteTx::DueHolds(UnixMs now_ms, std::string_view schedule_id,
                                             int limit) {
  std::vector<Reservation> out;
  {
    const Reply reply = Fetch(kDueHolds, {now_ms, schedule_id, limit});
    out.reserve(static_cast<size_t>(reply.rows()));
    for (int i = 0; i < reply.rows(); ++i) out.push_back(ReservationFrom(Row(reply, i)));
  }
  FillSeatIds(out);
  return out;
}

std::optional<Money> PgWriteTx::CreditWallet(std::string_view user_id, Money amount) {
  BO_ASSERT(amount >= 0);
  const Reply reply = Fetch(kCreditWallet, {user_id, amount, kBalanceMax});
  if (reply.rows() == 0) return std::nullopt;
  changed_ = true;
  return reply.Int64(0, 0);
}

std::optional<Money> PgWriteTx::DebitWallet(std::string_view user_id, Money amount) {
  BO_ASSERT(amount >= 0);
  if (amount == 0) return WalletBalance(user_id);
  const Reply reply = Fetch(kDebitWallet, {user_id, amount});
  if (reply.rows() == 0) return std::nullopt;
  changed_ = true;
  return reply.Int64(0, 0);
}

void PgWriteTx::InsertWalletTransaction(const WalletTransaction& t) {
  QueueWrite(kInsertWalletTx, {t.id, t.user_id, WalletTxKindName(t.kind), t.amount, t.balance_after,
                               Param::Optional(t.payment_id), t.created_at_ms});
}

void PgWriteTx::InsertPayment(const Payment& p) {
  QueueWrite(kInsertPayment,
             {p.id, p.user_id, p.reservation_id, p.method, p.amount, p.status, p.created_at_ms});
  for (const auto& t : p.tickets) {
    QueueWrite(kInsertTicket, {t.id, t.user_id, t.payment_id, t.reservation_id, t.schedule_id,
                               Param::Optional(t.seat_id), Param::Optional(t.ticket_type_id),
                               t.code, TicketStatusName(t.status)});
  }
}

void PgWriteTx::AppendEvent(const Event& e) {
  QueueWrite(kAppendEvent, {e.id, e.type, e.time_ms, e.data_json});
}

void PgWriteTx::SaveIdempotentResponse(std::string_view user_id, std::string_view key,
                                       const StoredResponse& r, UnixMs now_ms) {
  QueueWrite(kSaveIdempotent, {user_id, key, r.fingerprint, r.status, r.body, now_ms});
}

int PgWriteTx::PruneIdempotentResponses(UnixMs before_ms, int limit) {
  return Noted(static_cast<int>(Fetch(kPruneIdempotent, {before_ms, limit}).affected_rows()));
}

}  // namespace bo::postgres
