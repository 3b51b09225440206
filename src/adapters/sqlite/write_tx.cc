#include "adapters/sqlite/write_tx.h"

#include "common/assert.h"

// The seats a reservation lists (reservation_seats) that it holds, as every store reads
// "the seats of a reservation" (see WriteTx::SellSeats).
#define BO_SEATS_LISTED_BY_RESERVATION_1                                    \
  "id IN (SELECT seat_id FROM reservation_seats WHERE reservation_id = ?1)" \
  " AND reservation_id = ?1"

namespace bo::sqlite {

bool SqliteWriteTx::InsertUser(const User& u) {
  auto q = db_.Prepare(
      "INSERT INTO users(id, email, name, password_hash, grade, role, created_at_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(email) DO NOTHING");
  q.Bind(1, u.id).Bind(2, u.email).Bind(3, u.name).Bind(4, u.password_hash);
  q.Bind(5, GradeName(u.grade)).Bind(6, RoleName(u.role)).Bind(7, u.created_at_ms);
  return q.Exec() == 1;
}

void SqliteWriteTx::InsertConcert(const Concert& c) {
  auto q = db_.Prepare(
      "INSERT INTO concerts(id, name, artist, venue, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
  q.Bind(1, c.id).Bind(2, c.name).Bind(3, c.artist).Bind(4, c.venue).Bind(5, c.created_at_ms);
  q.Exec();
}

void SqliteWriteTx::InsertSchedule(const Schedule& s, const std::vector<Seat>& seats) {
  {
    auto q = db_.Prepare(
        "INSERT INTO schedules(id, concert_id, starts_at_ms, seats_total, seats_available)"
        " VALUES (?1, ?2, ?3, ?4, ?5)");
    q.Bind(1, s.id).Bind(2, s.concert_id).Bind(3, s.starts_at_ms);
    q.Bind(4, s.seats_total).Bind(5, s.seats_available);
    q.Exec();
  }
  for (const auto& t : s.ticket_types) {
    auto q = db_.Prepare(
        "INSERT INTO ticket_types(id, schedule_id, name, price, capacity, taken)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 0)");
    q.Bind(1, t.id).Bind(2, s.id).Bind(3, t.name).Bind(4, t.price).Bind(5, t.capacity);
    q.Exec();
  }
  for (const auto& seat : seats) {
    auto q = db_.Prepare(
        "INSERT INTO seats(id, schedule_id, section, row_label, number, grade, price, status)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'AVAILABLE')");
    q.Bind(1, seat.id).Bind(2, s.id).Bind(3, seat.section).Bind(4, seat.row);
    q.Bind(5, seat.number).Bind(6, seat.grade).Bind(7, seat.price);
    q.Exec();
  }
}

std::optional<Money> SqliteWriteTx::HoldSeat(std::string_view seat_id, std::string_view schedule_id,
                                             std::string_view reservation_id) {
  std::optional<Money> price;
  {
    auto q = db_.Prepare(
        "UPDATE seats SET status = 'HELD', reservation_id = ?3"
        " WHERE id = ?1 AND schedule_id = ?2 AND status = 'AVAILABLE' RETURNING price");
    q.Bind(1, seat_id).Bind(2, schedule_id).Bind(3, reservation_id);
    if (q.Step()) price = q.Int(0);
    while (q.Step()) {
    }
  }
  if (!price) return std::nullopt;
  auto q = db_.Prepare("UPDATE schedules SET seats_available = seats_available - 1 WHERE id = ?1");
  q.Bind(1, schedule_id);
  BO_ASSERT(q.Exec() == 1);
  return price;
}

int SqliteWriteTx::ReleaseSeats(std::string_view reservation_id, std::string_view schedule_id) {
  int released;
  {
    auto q = db_.Prepare(
        "UPDATE seats SET status = 'AVAILABLE', reservation_id = NULL"
        " WHERE " BO_SEATS_LISTED_BY_RESERVATION_1 " AND status = 'HELD'");
    q.Bind(1, reservation_id);
    released = q.Exec();
  }
  auto q = db_.Prepare("UPDATE schedules SET seats_available = seats_available + ?2 WHERE id = ?1");
  q.Bind(1, schedule_id).Bind(2, released);
  q.Exec();
  return released;
}

int SqliteWriteTx::SellSeats(std::string_view reservation_id) {
  auto q = db_.Prepare("UPDATE seats SET status = 'SOLD' WHERE " BO_SEATS_LISTED_BY_RESERVATION_1
                       " AND status = 'HELD'");
  q.Bind(1, reservation_id);
  return q.Exec();
}

bool SqliteWriteTx::TakeUnits(std::string_view ticket_type_id, int n) {
  BO_ASSERT(n > 0);
  auto q = db_.Prepare(
      "UPDATE ticket_types SET taken = taken + ?2 WHERE id = ?1 AND taken + ?2 <= capacity");
  q.Bind(1, ticket_type_id).Bind(2, n);
  return q.Exec() == 1;
}

void SqliteWriteTx::ReturnUnits(std::string_view ticket_type_id, int n) {
  BO_ASSERT(n > 0);
  auto q = db_.Prepare("UPDATE ticket_types SET taken = taken - ?2 WHERE id = ?1 AND taken >= ?2");
  q.Bind(1, ticket_type_id).Bind(2, n);
  BO_ASSERT(q.Exec() == 1);
}

void SqliteWriteTx::InsertReservation(const Reservation& r) {
  auto q = db_.Prepare(
      "INSERT INTO reservations(id, user_id, schedule_id, concert_id, ticket_type_id, quantity,"
      " amount, status, expires_at_ms, created_at_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  q.Bind(1, r.id).Bind(2, r.user_id).Bind(3, r.schedule_id).Bind(4, r.concert_id);
  q.BindOptional(5, r.ticket_type_id).Bind(6, r.quantity).Bind(7, r.amount);
  q.Bind(8, ReservationStatusName(r.status)).Bind(9, r.expires_at_ms).Bind(10, r.created_at_ms);
  q.Exec();
  for (size_t i = 0; i < r.seat_ids.size(); ++i) {
    auto seat = db_.Prepare(
        "INSERT INTO reservation_seats(reservation_id, position, seat_id) VALUES (?1, ?2, ?3)");
    seat.Bind(1, r.id).Bind(2, static_cast<std::int64_t>(i)).Bind(3, r.seat_ids[i]);
    seat.Exec();
  }
}

bool SqliteWriteTx::TransitionReservation(std::string_view id, ReservationStatus from,
                                          ReservationStatus to, ExpiryGuard guard, UnixMs now_ms) {
  BO_ASSERT(IsAllowedTransition(from, to));
  // ?4 selects the guard: 0 none, 1 only before expiry, 2 only at or after expiry.
  auto q = db_.Prepare(
      "UPDATE reservations SET status = ?3 WHERE id = ?1 AND status = ?2 AND"
      " (?4 = 0 OR (?4 = 1 AND ?5 < expires_at_ms) OR (?4 = 2 AND expires_at_ms <= ?5))");
  q.Bind(1, id).Bind(2, ReservationStatusName(from)).Bind(3, ReservationStatusName(to));
  q.Bind(4, static_cast<int>(guard)).Bind(5, now_ms);
  return q.Exec() == 1;
}

std::vector<Reservation> SqliteWriteTx::DueHolds(UnixMs now_ms, std::string_view schedule_id,
                                                 int limit) {
  std::vector<std::string> ids;
  {
    auto q = db_.Prepare(
        "SELECT id FROM reservations WHERE status = 'HELD' AND expires_at_ms <= ?1"
        " AND (?2 = '' OR schedule_id = ?2) ORDER BY expires_at_ms LIMIT ?3");
    q.Bind(1, now_ms).Bind(2, schedule_id).Bind(3, limit);
    while (q.Step()) ids.push_back(q.Text(0));
  }
  std::vector<Reservation> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    if (auto r = FindReservation(id)) out.push_back(std::move(*r));
  }
  return out;
}

std::optional<Money> SqliteWriteTx::CreditWallet(std::string_view user_id, Money amount) {
  BO_ASSERT(amount >= 0);
  auto q = db_.Prepare(
      "INSERT INTO wallets(user_id, balance) SELECT ?1, ?2 WHERE ?2 <= ?3"
      " ON CONFLICT(user_id) DO UPDATE SET balance = balance + ?2 WHERE balance + ?2 <= ?3"
      " RETURNING balance");
  q.Bind(1, user_id).Bind(2, amount).Bind(3, kBalanceMax);
  std::optional<Money> balance;
  if (q.Step()) balance = q.Int(0);
  while (q.Step()) {
  }
  return balance;
}

std::optional<Money> SqliteWriteTx::DebitWallet(std::string_view user_id, Money amount) {
  BO_ASSERT(amount >= 0);
  if (amount == 0) return WalletBalance(user_id);
  auto q = db_.Prepare(
      "UPDATE wallets SET balance = balance - ?2 WHERE user_id = ?1 AND balance >= ?2"
      " RETURNING balance");
  q.Bind(1, user_id).Bind(2, amount);
  std::optional<Money> balance;
  if (q.Step()) balance = q.Int(0);
  while (q.Step()) {
  }
  return balance;
}

void SqliteWriteTx::InsertWalletTransaction(const WalletTransaction& t) {
  auto q = db_.Prepare(
      "INSERT INTO wallet_transactions(id, user_id, kind, amount, balance_after, payment_id,"
      " created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  q.Bind(1, t.id).Bind(2, t.user_id).Bind(3, WalletTxKindName(t.kind)).Bind(4, t.amount);
  q.Bind(5, t.balance_after).BindOptional(6, t.payment_id).Bind(7, t.created_at_ms);
  q.Exec();
}

void SqliteWriteTx::InsertPayment(const Payment& p) {
  {
    auto q = db_.Prepare(
        "INSERT INTO payments(id, user_id, reservation_id, method, amount, status, created_at_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    q.Bind(1, p.id).Bind(2, p.user_id).Bind(3, p.reservation_id).Bind(4, p.method);
    q.Bind(5, p.amount).Bind(6, p.status).Bind(7, p.created_at_ms);
    q.Exec();
  }
  for (const auto& t : p.tickets) {
    auto q = db_.Prepare(
        "INSERT INTO tickets(id, user_id, payment_id, reservation_id, schedule_id, seat_id,"
        " ticket_type_id, code, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    q.Bind(1, t.id).Bind(2, t.user_id).Bind(3, t.payment_id).Bind(4, t.reservation_id);
    q.Bind(5, t.schedule_id).BindOptional(6, t.seat_id).BindOptional(7, t.ticket_type_id);
    q.Bind(8, t.code).Bind(9, TicketStatusName(t.status));
    q.Exec();
  }
}

void SqliteWriteTx::AppendEvent(const Event& e) {
  auto q = db_.Prepare("INSERT INTO outbox(id, type, time_ms, data) VALUES (?1, ?2, ?3, ?4)");
  q.Bind(1, e.id).Bind(2, e.type).Bind(3, e.time_ms).Bind(4, e.data_json);
  q.Exec();
  ++events_appended_;
}

void SqliteWriteTx::SaveIdempotentResponse(std::string_view user_id, std::string_view key,
                                           const StoredResponse& r, UnixMs now_ms) {
  auto q = db_.Prepare(
      "INSERT INTO idempotency_keys(user_id, key, fingerprint, status, body, created_at_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  q.Bind(1, user_id).Bind(2, key).Bind(3, r.fingerprint).Bind(4, r.status).Bind(5, r.body);
  q.Bind(6, now_ms);
  q.Exec();
}

int SqliteWriteTx::PruneIdempotentResponses(UnixMs before_ms, int limit) {
  auto q = db_.Prepare(
      "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key"
      " FROM idempotency_keys WHERE created_at_ms < ?1 LIMIT ?2)");
  q.Bind(1, before_ms).Bind(2, limit);
  return q.Exec();
}

}  // namespace bo::sqlite
