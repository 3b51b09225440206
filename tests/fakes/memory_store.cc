#include "fakes/memory_store.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <tuple>

#include "common/assert.h"

namespace bo::testing {
namespace {

using State = MemoryStore::State;
using Lock = std::lock_guard<std::recursive_mutex>;

// Where SQLite would fail the statement with a constraint error.
void Require(bool ok, const std::string& constraint) {
  if (!ok) throw std::runtime_error("constraint failed: " + constraint);
}

template <class T>
T* Find(Table<T>& table, std::string_view id) {
  auto it = table.find(id);
  return it == table.end() ? nullptr : &it->second;
}

template <class T>
std::optional<T> CopyOf(const T* row) {
  return row ? std::optional<T>(*row) : std::nullopt;
}

template <class T>
void InsertNew(Table<T>& table, const std::string& id, const T& row, const char* constraint) {
  Require(table.emplace(id, row).second, constraint);
}

// `rows` holds up to limit + 1 matches in page order, as the adapter's LIMIT ?+1 does.
template <class T>
Page<T> PageOf(std::vector<T> rows, int limit) {
  BO_ASSERT(limit > 0);
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<size_t>(limit));
    page.next_cursor = rows.back().id;
  }
  page.items = std::move(rows);
  return page;
}

// As SQL's LIMIT, where a negative limit keeps every row.
template <class T>
void Truncate(std::vector<T>& rows, int limit) {
  if (limit >= 0 && rows.size() > static_cast<size_t>(limit)) {
    rows.resize(static_cast<size_t>(limit));
  }
}

bool GuardHolds(ExpiryGuard guard, UnixMs expires_at_ms, UnixMs now_ms) {
  switch (guard) {
    case ExpiryGuard::kNone:
      return true;
    case ExpiryGuard::kBeforeExpiry:
      return now_ms < expires_at_ms;
    case ExpiryGuard::kAtOrAfterExpiry:
      return expires_at_ms <= now_ms;
  }
  return false;
}

// Both the reader and the write transaction: Read() hands it out as a StoreReader.
class MemoryTx final : public WriteTx {
 public:
  MemoryTx(State& state, std::recursive_mutex& mu) : s_(state), mu_(mu) {}

  std::optional<User> FindUserById(std::string_view id) override {
    Lock lock(mu_);
    return CopyOf(Find(s_.users, id));
  }

  std::optional<User> FindUserByEmail(std::string_view email) override {
    Lock lock(mu_);
    for (const auto& [id, user] : s_.users) {
      if (user.email == email) return user;
    }
    return std::nullopt;
  }

  Page<Concert> ListConcerts(std::string_view after_id, int limit) override {
    Lock lock(mu_);
    std::vector<Concert> rows;
    for (auto it = s_.concerts.upper_bound(after_id);
         it != s_.concerts.end() && static_cast<int>(rows.size()) <= limit; ++it) {
      rows.push_back(it->second);
    }
    return PageOf(std::move(rows), limit);
  }

  std::optional<Concert> FindConcert(std::string_view id) override {
    Lock lock(mu_);
    return CopyOf(Find(s_.concerts, id));
  }

  std::vector<Schedule> ListSchedules(std::string_view concert_id, UnixMs from_ms, UnixMs to_ms,
                                      int limit) override {
    Lock lock(mu_);
    std::vector<Schedule> out;
    for (const auto& [id, s] : s_.schedules) {
      if (s.concert_id == concert_id && from_ms <= s.starts_at_ms && s.starts_at_ms < to_ms) {
        out.push_back(WithTicketTypes(s));
      }
    }
    std::sort(out.begin(), out.end(), [](const Schedule& a, const Schedule& b) {
      return std::tie(a.starts_at_ms, a.id) < std::tie(b.starts_at_ms, b.id);
    });
    Truncate(out, limit);
    return out;
  }

  std::optional<Schedule> FindSchedule(std::string_view id) override {
    Lock lock(mu_);
    const Schedule* s = Find(s_.schedules, id);
    if (!s) return std::nullopt;
    return WithTicketTypes(*s);
  }

  std::vector<Seat> ListSeats(std::string_view schedule_id) override {
    Lock lock(mu_);
    std::vector<Seat> out;
    for (const auto& [id, row] : s_.seats) {
      if (row.seat.schedule_id == schedule_id) out.push_back(row.seat);
    }
    std::sort(out.begin(), out.end(), [](const Seat& a, const Seat& b) {
      return std::tie(a.section, a.row, a.number) < std::tie(b.section, b.row, b.number);
    });
    return out;
  }

  std::optional<Seat> FindSeat(std::string_view id) override {
    Lock lock(mu_);
    const MemoryStore::SeatRow* row = Find(s_.seats, id);
    if (!row) return std::nullopt;
    return row->seat;
  }

  std::optional<TicketType> FindTicketType(std::string_view id) override {
    Lock lock(mu_);
    return CopyOf(Find(s_.ticket_types, id));
  }

  std::optional<Reservation> FindReservation(std::string_view id) override {
    Lock lock(mu_);
    const Reservation* r = Find(s_.reservations, id);
    if (!r) return std::nullopt;
    return WithSeats(*r);
  }

  Page<Reservation> ListReservations(std::string_view user_id, std::string_view before_id,
                                     int limit) override {
    Lock lock(mu_);
    std::vector<Reservation> rows;
    for (auto it = s_.reservations.rbegin();
         it != s_.reservations.rend() && static_cast<int>(rows.size()) <= limit; ++it) {
      const Reservation& r = it->second;
      if (r.user_id == user_id && (before_id.empty() || r.id < before_id)) {
        rows.push_back(WithSeats(r));
      }
    }
    return PageOf(std::move(rows), limit);
  }

  Money WalletBalance(std::string_view user_id) override {
    Lock lock(mu_);
    const Money* balance = Find(s_.wallets, user_id);
    return balance ? *balance : 0;
  }

  Page<WalletTransaction> ListWalletTransactions(std::string_view user_id,
                                                 std::string_view before_id, int limit) override {
    Lock lock(mu_);
    std::vector<WalletTransaction> rows;
    for (auto it = s_.wallet_transactions.rbegin();
         it != s_.wallet_transactions.rend() && static_cast<int>(rows.size()) <= limit; ++it) {
      const WalletTransaction& t = it->second;
      if (t.user_id == user_id && (before_id.empty() || t.id < before_id)) rows.push_back(t);
    }
    return PageOf(std::move(rows), limit);
  }

  std::optional<Payment> FindPayment(std::string_view id) override {
    Lock lock(mu_);
    std::optional<Payment> p = CopyOf(Find(s_.payments, id));
    if (!p) return std::nullopt;
    for (const auto& [ticket_id, t] : s_.tickets) {
      if (t.payment_id == p->id) p->tickets.push_back(t);
    }
    return p;
  }

  Page<Ticket> ListTickets(std::string_view user_id, std::string_view after_id,
                           int limit) override {
    Lock lock(mu_);
    std::vector<Ticket> rows;
    for (auto it = s_.tickets.upper_bound(after_id);
         it != s_.tickets.end() && static_cast<int>(rows.size()) <= limit; ++it) {
      if (it->second.user_id == user_id) rows.push_back(it->second);
    }
    return PageOf(std::move(rows), limit);
  }

  std::optional<Ticket> FindTicket(std::string_view id) override {
    Lock lock(mu_);
    return CopyOf(Find(s_.tickets, id));
  }

  std::optional<StoredResponse> FindIdempotentResponse(std::string_view user_id,
                                                       std::string_view key) override {
    Lock lock(mu_);
    auto it = s_.idempotency_keys.find({std::string(user_id), std::string(key)});
    if (it == s_.idempotency_keys.end()) return std::nullopt;
    return it->second.response;
  }

  bool InsertUser(const User& user) override {
    Lock lock(mu_);
    if (FindUserByEmail(user.email)) return false;  // ON CONFLICT(email) DO NOTHING
    InsertNew(s_.users, user.id, user, "users.id");
    return true;
  }

  void InsertConcert(const Concert& concert) override {
    Lock lock(mu_);
    InsertNew(s_.concerts, concert.id, concert, "concerts.id");
  }

  void InsertSchedule(const Schedule& schedule, const std::vector<Seat>& seats) override {
    Lock lock(mu_);
    Require(schedule.seats_total >= 0 && schedule.seats_available >= 0 &&
                schedule.seats_available <= schedule.seats_total,
            "schedules.seats_available");
    Schedule row = schedule;
    row.ticket_types.clear();
    InsertNew(s_.schedules, row.id, row, "schedules.id");
    for (const auto& t : schedule.ticket_types) {
      Require(t.price >= 0 && t.capacity >= 0, "ticket_types.price, capacity");
      TicketType type = t;
      type.schedule_id = schedule.id;
      type.taken = 0;
      InsertNew(s_.ticket_types, type.id, type, "ticket_types.id");
    }
    // The schedule is new, so its seats can only collide with each other.
    std::set<std::tuple<std::string, std::string, int>> places;
    for (const auto& seat : seats) {
      Require(seat.price >= 0, "seats.price");
      Require(places.emplace(seat.section, seat.row, seat.number).second,
              "seats(schedule_id, section, row_label, number)");
      MemoryStore::SeatRow row{seat, ""};
      row.seat.schedule_id = schedule.id;
      row.seat.status = SeatStatus::kAvailable;
      InsertNew(s_.seats, seat.id, row, "seats.id");
    }
  }

  std::optional<Money> HoldSeat(std::string_view seat_id, std::string_view schedule_id,
                                std::string_view reservation_id) override {
    Lock lock(mu_);
    MemoryStore::SeatRow* row = Find(s_.seats, seat_id);
    if (!row || row->seat.schedule_id != schedule_id ||
        row->seat.status != SeatStatus::kAvailable) {
      return std::nullopt;
    }
    row->seat.status = SeatStatus::kHeld;
    row->reservation_id = std::string(reservation_id);
    Schedule* schedule = Find(s_.schedules, schedule_id);
    BO_ASSERT(schedule != nullptr);
    --schedule->seats_available;
    Require(schedule->seats_available >= 0, "schedules.seats_available");
    return row->seat.price;
  }

  int ReleaseSeats(std::string_view reservation_id, std::string_view schedule_id) override {
    Lock lock(mu_);
    int released = 0;
    for (auto& [id, row] : s_.seats) {
      if (HeldAndListedBy(row, reservation_id)) {
        row.seat.status = SeatStatus::kAvailable;
        row.reservation_id.clear();
        ++released;
      }
    }
    if (Schedule* schedule = Find(s_.schedules, schedule_id)) {
      schedule->seats_available += released;
      Require(schedule->seats_available <= schedule->seats_total, "schedules.seats_available");
    }
    return released;
  }

  int SellSeats(std::string_view reservation_id) override {
    Lock lock(mu_);
    int sold = 0;
    for (auto& [id, row] : s_.seats) {
      if (HeldAndListedBy(row, reservation_id)) {
        row.seat.status = SeatStatus::kSold;
        ++sold;
      }
    }
    return sold;
  }

  bool TakeUnits(std::string_view ticket_type_id, int n) override {
    Lock lock(mu_);
    BO_ASSERT(n > 0);
    TicketType* type = Find(s_.ticket_types, ticket_type_id);
    if (!type || type->taken + n > type->capacity) return false;
    type->taken += n;
    return true;
  }

  void ReturnUnits(std::string_view ticket_type_id, int n) override {
    Lock lock(mu_);
    BO_ASSERT(n > 0);
    TicketType* type = Find(s_.ticket_types, ticket_type_id);
    BO_ASSERT(type != nullptr && type->taken >= n);
    type->taken -= n;
  }

  void InsertReservation(const Reservation& reservation) override {
    Lock lock(mu_);
    Require(reservation.quantity > 0 && reservation.amount >= 0, "reservations.quantity, amount");
    InsertNew(s_.reservations, reservation.id, reservation, "reservations.id");
  }

  bool TransitionReservation(std::string_view id, ReservationStatus from, ReservationStatus to,
                             ExpiryGuard guard, UnixMs now_ms) override {
    Lock lock(mu_);
    BO_ASSERT(IsAllowedTransition(from, to));
    Reservation* r = Find(s_.reservations, id);
    if (!r || r->status != from || !GuardHolds(guard, r->expires_at_ms, now_ms)) return false;
    r->status = to;
    return true;
  }

  std::vector<Reservation> DueHolds(UnixMs now_ms, std::string_view schedule_id,
                                    int limit) override {
    Lock lock(mu_);
    std::vector<Reservation> out;
    for (const auto& [id, r] : s_.reservations) {
      if (HoldPolicy::IsDue(r, now_ms) && (schedule_id.empty() || r.schedule_id == schedule_id)) {
        out.push_back(WithSeats(r));
      }
    }
    // The adapter reads them through the index on expires_at_ms, whose ties go by id.
    std::sort(out.begin(), out.end(), [](const Reservation& a, const Reservation& b) {
      return std::tie(a.expires_at_ms, a.id) < std::tie(b.expires_at_ms, b.id);
    });
    Truncate(out, limit);
    return out;
  }

  std::optional<Money> CreditWallet(std::string_view user_id, Money amount) override {
    Lock lock(mu_);
    BO_ASSERT(amount >= 0);
    const Money balance = WalletBalance(user_id);
    if (amount > kBalanceMax - balance) return std::nullopt;
    s_.wallets[std::string(user_id)] = balance + amount;
    return balance + amount;
  }

  std::optional<Money> DebitWallet(std::string_view user_id, Money amount) override {
    Lock lock(mu_);
    BO_ASSERT(amount >= 0);
    if (amount == 0) return WalletBalance(user_id);
    Money* balance = Find(s_.wallets, user_id);
    if (!balance || *balance < amount) return std::nullopt;
    *balance -= amount;
    return *balance;
  }

  void InsertWalletTransaction(const WalletTransaction& tx) override {
    Lock lock(mu_);
    Require(tx.amount >= 0 && tx.balance_after >= 0, "wallet_transactions.amount, balance_after");
    InsertNew(s_.wallet_transactions, tx.id, tx, "wallet_transactions.id");
  }

  void InsertPayment(const Payment& payment) override {
    Lock lock(mu_);
    Require(payment.amount >= 0, "payments.amount");
    for (const auto& [id, p] : s_.payments) {
      Require(p.reservation_id != payment.reservation_id, "payments.reservation_id");
    }
    Payment row = payment;
    row.tickets.clear();
    InsertNew(s_.payments, row.id, row, "payments.id");
    for (const auto& t : payment.tickets) {
      for (const auto& [id, other] : s_.tickets) Require(other.code != t.code, "tickets.code");
      InsertNew(s_.tickets, t.id, t, "tickets.id");
    }
  }

  void AppendEvent(const Event& event) override {
    Lock lock(mu_);
    for (const auto& e : s_.outbox) Require(e.id != event.id, "outbox.id");
    s_.outbox.push_back(event);
  }

  void SaveIdempotentResponse(std::string_view user_id, std::string_view key,
                              const StoredResponse& response, UnixMs now_ms) override {
    Lock lock(mu_);
    const bool inserted = s_.idempotency_keys
                              .emplace(std::pair(std::string(user_id), std::string(key)),
                                       MemoryStore::IdempotencyRow{response, now_ms})
                              .second;
    Require(inserted, "idempotency_keys(user_id, key)");
  }

  int PruneIdempotentResponses(UnixMs before_ms, int limit) override {
    Lock lock(mu_);
    // The adapter's LIMIT leaves the choice to SQLite; the oldest go first here.
    std::vector<std::pair<UnixMs, std::pair<std::string, std::string>>> old;
    for (const auto& [key, row] : s_.idempotency_keys) {
      if (row.created_at_ms < before_ms) old.emplace_back(row.created_at_ms, key);
    }
    std::sort(old.begin(), old.end());
    Truncate(old, limit);
    for (const auto& [created_at_ms, key] : old) s_.idempotency_keys.erase(key);
    return static_cast<int>(old.size());
  }

 private:
  Schedule WithTicketTypes(Schedule s) const {
    for (const auto& [id, t] : s_.ticket_types) {
      if (t.schedule_id == s.id) s.ticket_types.push_back(t);
    }
    return s;
  }

  // Whether `reservation_id` holds the seat and lists it (its reservation_seats rows).
  bool HeldAndListedBy(const MemoryStore::SeatRow& row, std::string_view reservation_id) const {
    if (row.reservation_id != reservation_id || row.seat.status != SeatStatus::kHeld) return false;
    const Reservation* r = Find(s_.reservations, reservation_id);
    return r != nullptr &&
           std::find(r->seat_ids.begin(), r->seat_ids.end(), row.seat.id) != r->seat_ids.end();
  }

  // The adapter reads the seat list of seated reservations only.
  static Reservation WithSeats(Reservation r) {
    if (r.is_general_admission()) r.seat_ids.clear();
    return r;
  }

  State& s_;
  std::recursive_mutex& mu_;
};

}  // namespace

void MemoryStore::Close() {
  Lock lock(mu_);
  closed_ = true;
}

void MemoryStore::Submit(WriteJob job) {
  bool committed = true;
  {
    Lock lock(mu_);
    if (closed_) committed = false;
  }
  if (!committed) {
    if (job.done) job.done(false);  // refused: the job never ran
    return;
  }
  {
    Lock lock(mu_);
    committed = !std::exchange(fail_next_commit_, false);
    State before = state_;
    MemoryTx tx(state_, mu_);
    bool keep = false;
    try {
      keep = job.run(tx);
    } catch (...) {
      keep = false;  // as the adapter's savepoint: a job that throws keeps nothing
    }
    if (!keep || !committed) state_ = std::move(before);
  }
  if (job.done) job.done(committed);
}

std::shared_ptr<StoreReader> MemoryStore::Read() { return std::make_shared<MemoryTx>(state_, mu_); }

void MemoryStore::FailNextCommit() {
  Lock lock(mu_);
  fail_next_commit_ = true;
}

MemoryStore::State MemoryStore::Dump() const {
  Lock lock(mu_);
  return state_;
}

std::vector<Event> MemoryStore::EventsOfType(std::string_view type) const {
  Lock lock(mu_);
  std::vector<Event> out;
  for (const auto& e : state_.outbox) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

}  // namespace bo::testing
