// The in-memory Store fake against each real adapter (SQLite, PostgreSQL), call for call.
//
// The use-case unit tests run over bo::testing::MemoryStore, so what they prove holds in
// production only while the fake answers every Store call exactly as the real adapter does.
// This test drives both with the same random sequence of write jobs, covering every WriteTx
// method and rolling some jobs back, and after each job compares what the call returned and
// everything a StoreReader can see. Since every adapter agrees with the fake, they agree with
// each other.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fakes/memory_store.h"
#include "fakes/store_under_test.h"

namespace bo {
namespace {

constexpr int kSteps = 400;

// The ids the calls draw from. Each list holds ids that never exist (the "_x" ones) or exist
// only after a random insert, so that every call also meets missing rows.
const std::vector<std::string> kUsers = {"usr_1", "usr_2", "usr_3"};
const std::vector<std::string> kEmails = {"a@x", "b@x", "c@x"};
const std::vector<std::string> kConcerts = {"con_0", "con_1", "con_2", "con_3"};
const std::vector<std::string> kSchedules = {"sch_1", "sch_2", "sch_3", "sch_4", "sch_x"};
const std::vector<std::string> kNewSchedules = {"sch_3", "sch_4"};
const std::vector<std::string> kSeats = {"seat_1", "seat_2", "seat_3", "seat_4",
                                         "seat_5", "seat_6", "seat_7", "seat_x"};
const std::vector<std::string> kNewSeats = {"seat_1", "seat_6", "seat_7"};
const std::vector<std::string> kTicketTypes = {"tt_1", "tt_2", "tt_3", "tt_x"};
const std::vector<std::string> kNewTicketTypes = {"tt_1", "tt_3"};
const std::vector<std::string> kIdempotencyKeys = {"k0", "k1", "k2", "k3"};
const std::vector<std::string> kEventTypes = {kEventWalletCharged, kEventPaymentCompleted};
// Other ids are a prefix and a number below the pool size: "res_0" ... "res_11".
constexpr int kReservationPool = 12, kPaymentPool = 8, kTicketPool = 12, kWalletTxPool = 16,
              kEventPool = 8;

std::string PoolId(std::string_view prefix, int n) {
  return std::string(prefix) + std::to_string(n);
}

std::string Text(std::string_view s) { return std::string(s); }
std::string Text(std::int64_t n) { return std::to_string(n); }

// One row: its fields, each followed by '|'.
template <class... T>
std::string Fields(const T&... fields) {
  std::string out;
  ((out += Text(fields), out += '|'), ...);
  return out;
}

// "name(a, b, c)", naming a call in failure messages.
template <class... T>
std::string Call(std::string_view name, const T&... args) {
  std::string out = Text(name) + "(";
  std::string_view separator;
  ((out += separator, out += Text(args), separator = ", "), ...);
  return out + ")";
}

std::string Show(Money m) { return std::to_string(m); }
std::string Show(const User& u) {
  return Fields(u.id, u.email, u.name, u.password_hash, GradeName(u.grade), RoleName(u.role),
                u.created_at_ms);
}
std::string Show(const Concert& c) {
  return Fields(c.id, c.name, c.artist, c.venue, c.created_at_ms);
}
std::string Show(const TicketType& t) {
  return Fields(t.id, t.schedule_id, t.name, t.price, t.capacity, t.taken);
}
std::string Show(const Seat& s) {
  return Fields(s.id, s.schedule_id, s.section, s.row, s.number, s.grade, s.price,
                SeatStatusName(s.status));
}
std::string Show(const Reservation& r) {
  std::string seats;
  for (const auto& id : r.seat_ids) seats += id + ",";
  return Fields(r.id, r.user_id, r.schedule_id, r.concert_id, r.ticket_type_id, r.quantity,
                r.amount, ReservationStatusName(r.status), r.expires_at_ms, r.created_at_ms,
                "seats=" + seats);
}
std::string Show(const Ticket& t) {
  return Fields(t.id, t.user_id, t.payment_id, t.reservation_id, t.schedule_id, t.seat_id,
                t.ticket_type_id, t.code, TicketStatusName(t.status));
}
std::string Show(const WalletTransaction& t) {
  return Fields(t.id, t.user_id, WalletTxKindName(t.kind), t.amount, t.balance_after, t.payment_id,
                t.created_at_ms);
}
std::string Show(const StoredResponse& r) { return Fields(r.fingerprint, r.status, r.body); }

// They show their ticket types and tickets through the templates below.
std::string Show(const Schedule& s);
std::string Show(const Payment& p);

template <class T>
std::string Show(const std::optional<T>& v) {
  return v ? Show(*v) : "none";
}
template <class T>
std::string Show(const std::vector<T>& rows) {
  std::string out = "[";
  for (const auto& row : rows) out += Show(row) + "; ";
  return out + "]";
}

std::string Show(const Schedule& s) {
  return Fields(s.id, s.concert_id, s.starts_at_ms, s.seats_total, s.seats_available,
                Show(s.ticket_types));
}
std::string Show(const Payment& p) {
  return Fields(p.id, p.user_id, p.reservation_id, p.method, p.amount, p.status, p.created_at_ms,
                Show(p.tickets));
}

// Every page of a listing, from the first: `fetch` takes the cursor and returns a Page.
template <class Fetch>
std::string AllPages(Fetch fetch) {
  constexpr int kPagesMax = 100;  // a cursor that never ends fails the comparison, not the run
  std::string out, cursor;
  for (int pages = 0; pages < kPagesMax; ++pages) {
    auto page = fetch(cursor);
    out += "\n    page " + Show(page.items) + " next=" + page.next_cursor;
    cursor = page.next_cursor;
    if (cursor.empty()) break;
  }
  return out;
}

// A read of the stores: the call, for failure messages, and its answer as text.
struct Read {
  std::string call;
  std::function<std::string(StoreReader&)> answer;
};

// Every StoreReader method over the ids above: together, everything the stores show. A user's
// listings are read a few rows a page, through every cursor.
const std::vector<Read>& AllReads() {
  static const std::vector<Read> reads = [] {
    constexpr int kPageRows = 2;
    std::vector<Read> r;
    for (const auto& id : kUsers) {
      r.push_back(
          {Call("FindUserById", id), [=](StoreReader& s) { return Show(s.FindUserById(id)); }});
    }
    for (const auto& email : kEmails) {
      r.push_back({Call("FindUserByEmail", email),
                   [=](StoreReader& s) { return Show(s.FindUserByEmail(email)); }});
    }
    for (int limit : {1, 5}) {
      r.push_back({Call("ListConcerts", "*", limit), [=](StoreReader& s) {
                     return AllPages(
                         [&](const std::string& after) { return s.ListConcerts(after, limit); });
                   }});
    }
    for (const auto& id : kConcerts) {
      r.push_back(
          {Call("FindConcert", id), [=](StoreReader& s) { return Show(s.FindConcert(id)); }});
      r.push_back({Call("ListSchedules", id, 0, 1000, 5),
                   [=](StoreReader& s) { return Show(s.ListSchedules(id, 0, 1000, 5)); }});
      r.push_back({Call("ListSchedules", id, 100, 200, 1),
                   [=](StoreReader& s) { return Show(s.ListSchedules(id, 100, 200, 1)); }});
    }
    for (const auto& id : kSchedules) {
      r.push_back(
          {Call("FindSchedule", id), [=](StoreReader& s) { return Show(s.FindSchedule(id)); }});
      r.push_back({Call("ListSeats", id), [=](StoreReader& s) { return Show(s.ListSeats(id)); }});
    }
    for (const auto& id : kSeats) {
      r.push_back({Call("FindSeat", id), [=](StoreReader& s) { return Show(s.FindSeat(id)); }});
    }
    for (const auto& id : kTicketTypes) {
      r.push_back(
          {Call("FindTicketType", id), [=](StoreReader& s) { return Show(s.FindTicketType(id)); }});
    }
    for (const auto& user : kUsers) {
      r.push_back({Call("WalletBalance", user),
                   [=](StoreReader& s) { return Show(s.WalletBalance(user)); }});
      r.push_back({Call("ListReservations", user, "*", kPageRows), [=](StoreReader& s) {
                     return AllPages([&](const std::string& before) {
                       return s.ListReservations(user, before, kPageRows);
                     });
                   }});
      r.push_back({Call("ListWalletTransactions", user, "*", kPageRows), [=](StoreReader& s) {
                     return AllPages([&](const std::string& before) {
                       return s.ListWalletTransactions(user, before, kPageRows);
                     });
                   }});
      r.push_back({Call("ListTickets", user, "*", kPageRows), [=](StoreReader& s) {
                     return AllPages([&](const std::string& after) {
                       return s.ListTickets(user, after, kPageRows);
                     });
                   }});
      for (const auto& key : kIdempotencyKeys) {
        r.push_back({Call("FindIdempotentResponse", user, key),
                     [=](StoreReader& s) { return Show(s.FindIdempotentResponse(user, key)); }});
      }
    }
    for (int i = 0; i < kReservationPool; ++i) {
      const std::string id = PoolId("res_", i);
      r.push_back({Call("FindReservation", id),
                   [=](StoreReader& s) { return Show(s.FindReservation(id)); }});
    }
    for (int i = 0; i < kPaymentPool; ++i) {
      const std::string id = PoolId("pay_", i);
      r.push_back(
          {Call("FindPayment", id), [=](StoreReader& s) { return Show(s.FindPayment(id)); }});
    }
    for (int i = 0; i < kTicketPool; ++i) {
      const std::string id = PoolId("tkt_", i);
      r.push_back({Call("FindTicket", id), [=](StoreReader& s) { return Show(s.FindTicket(id)); }});
    }
    return r;
  }();
  return reads;
}

// One write job: the call it makes, as text for failure messages, and the call itself, which
// returns the store's answer as text. Unless `keep`, the job then rolls back its writes.
struct Op {
  std::string call;
  std::function<std::string(WriteTx&)> run;
  bool keep = true;
};

const std::string kOk = "ok";

// Random write jobs over the ids above, reproducible from the seed.
class RandomOps {
 public:
  explicit RandomOps(unsigned seed) : rng_(seed) {}

  Op Next() {
    using Maker = Op (RandomOps::*)();
    static constexpr Maker kMakers[] = {
        &RandomOps::InsertUser,
        &RandomOps::InsertConcert,
        &RandomOps::InsertSchedule,
        &RandomOps::HoldSeat,
        &RandomOps::ReleaseSeats,
        &RandomOps::SellSeats,
        &RandomOps::TakeUnits,
        &RandomOps::ReturnUnits,
        &RandomOps::InsertReservation,
        &RandomOps::TransitionReservation,
        &RandomOps::DueHolds,
        &RandomOps::CreditWallet,
        &RandomOps::DebitWallet,
        &RandomOps::InsertWalletTransaction,
        &RandomOps::InsertPayment,
        &RandomOps::AppendEvent,
        &RandomOps::SaveIdempotentResponse,
        &RandomOps::PruneIdempotentResponses,
    };
    const bool keep = Below(5) != 0;
    Op op = (this->*kMakers[Below(static_cast<int>(std::size(kMakers)))])();
    op.keep = keep;
    if (!keep) op.call += ", rolled back";
    return op;
  }

 private:
  int Below(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }
  std::string Pick(const std::vector<std::string>& ids) {
    return ids[static_cast<size_t>(Below(static_cast<int>(ids.size())))];
  }
  std::string FromPool(std::string_view prefix, int pool) { return PoolId(prefix, Below(pool)); }

  Op InsertUser() {
    const User u{.id = Pick(kUsers),
                 .email = Pick(kEmails),
                 .name = "name",
                 .password_hash = "hash",
                 .grade = Grade::kSilver,
                 .created_at_ms = Below(9)};
    return {Call("InsertUser", Show(u)),
            [=](WriteTx& tx) { return tx.InsertUser(u) ? "inserted" : "email taken"; }};
  }

  Op InsertConcert() {
    const Concert c{Pick(kConcerts), "name", "artist", "venue", Below(9)};
    return {Call("InsertConcert", Show(c)), [=](WriteTx& tx) {
              tx.InsertConcert(c);
              return kOk;
            }};
  }

  // A schedule that may break a CHECK (more seats available than in total, a negative price or
  // capacity) or a key (a taken schedule, seat or ticket type id; two seats in one place).
  Op InsertSchedule() {
    Schedule s;
    s.id = Pick(kNewSchedules);
    s.concert_id = Pick(kConcerts);
    s.starts_at_ms = Below(300);
    s.seats_total = Below(3);
    s.seats_available = Below(3);
    if (Below(2)) {
      TicketType& type = s.ticket_types.emplace_back();
      type.id = Pick(kNewTicketTypes);
      type.name = "GA";
      type.price = Below(800) - 5;
      type.capacity = Below(5) - 1;
    }
    std::vector<Seat> seats(static_cast<size_t>(Below(3)));
    for (Seat& seat : seats) {
      seat.id = Pick(kNewSeats);
      seat.section = Pick({"A", "B"});
      seat.row = "1";
      seat.number = 1 + Below(2);
      seat.grade = "R";
      seat.price = Below(500) - 5;
    }
    return {Call("InsertSchedule", Show(s), Show(seats)) + " if its concert exists",
            [=](WriteTx& tx) -> std::string {
              if (!tx.FindConcert(s.concert_id)) return "skipped";
              tx.InsertSchedule(s, seats);
              return kOk;
            }};
  }

  Op HoldSeat() {
    const std::string seat = Pick(kSeats), schedule = Pick(kSchedules),
                      reservation = FromPool("res_", kReservationPool);
    return {Call("HoldSeat", seat, schedule, reservation),
            [=](WriteTx& tx) { return Show(tx.HoldSeat(seat, schedule, reservation)); }};
  }

  Op ReleaseSeats() {
    const std::string reservation = FromPool("res_", kReservationPool), schedule = Pick(kSchedules);
    return {Call("ReleaseSeats", reservation, schedule),
            [=](WriteTx& tx) { return std::to_string(tx.ReleaseSeats(reservation, schedule)); }};
  }

  Op SellSeats() {
    const std::string reservation = FromPool("res_", kReservationPool);
    return {Call("SellSeats", reservation),
            [=](WriteTx& tx) { return std::to_string(tx.SellSeats(reservation)); }};
  }

  Op TakeUnits() {
    const std::string type = Pick(kTicketTypes);
    const int n = 1 + Below(4);
    return {Call("TakeUnits", type, n),
            [=](WriteTx& tx) { return tx.TakeUnits(type, n) ? "taken" : "refused"; }};
  }

  // Called only where its REQUIRES (taken >= n) holds.
  Op ReturnUnits() {
    const std::string type = Pick(kTicketTypes);
    const int n = 1 + Below(3);
    return {Call("ReturnUnits", type, n) + " if taken >= n", [=](WriteTx& tx) -> std::string {
              const auto found = tx.FindTicketType(type);
              if (!found || found->taken < n) return "skipped";
              tx.ReturnUnits(type, n);
              return kOk;
            }};
  }

  // Seated, general admission, or both; a zero quantity or negative amount breaks a CHECK.
  Op InsertReservation() {
    Reservation r;
    r.id = FromPool("res_", kReservationPool);
    r.user_id = Pick(kUsers);
    r.schedule_id = Pick(kSchedules);
    r.concert_id = Pick(kConcerts);
    if (Below(2)) {
      r.ticket_type_id = Pick(kTicketTypes);
    } else {
      for (int i = 1 + Below(3); i > 0; --i) r.seat_ids.push_back(Pick(kSeats));
    }
    if (Below(3) == 0) r.seat_ids.push_back(Pick(kSeats));
    r.quantity = Below(4);
    r.amount = Below(1000) - 5;
    r.status = static_cast<ReservationStatus>(Below(5));
    r.expires_at_ms = Below(100);
    r.created_at_ms = Below(100);
    return {Call("InsertReservation", Show(r)) + " if its schedule exists",
            [=](WriteTx& tx) -> std::string {
              if (!tx.FindSchedule(r.schedule_id)) return "skipped";
              tx.InsertReservation(r);
              return kOk;
            }};
  }

  Op TransitionReservation() {
    using S = ReservationStatus;
    static constexpr std::pair<S, S> kEdges[] = {{S::kHeld, S::kPaid},
                                                 {S::kHeld, S::kExpired},
                                                 {S::kHeld, S::kCancelled},
                                                 {S::kPaid, S::kRefunded}};
    const std::string id = FromPool("res_", kReservationPool);
    const auto [from, to] = kEdges[Below(4)];
    const auto guard = static_cast<ExpiryGuard>(Below(3));
    const UnixMs now = Below(100);
    return {Call("TransitionReservation", id, ReservationStatusName(from),
                 ReservationStatusName(to), static_cast<int>(guard), now),
            [=](WriteTx& tx) {
              return tx.TransitionReservation(id, from, to, guard, now) ? "changed" : "unchanged";
            }};
  }

  Op DueHolds() {
    const UnixMs now = Below(110);
    const std::string schedule = Below(2) ? "" : Pick(kSchedules);
    const int limit = 1 + Below(4);
    return {Call("DueHolds", now, schedule, limit),
            [=](WriteTx& tx) { return Show(tx.DueHolds(now, schedule, limit)); }};
  }

  // Sometimes close enough to kBalanceMax to overflow it.
  Op CreditWallet() {
    const std::string user = Pick(kUsers);
    const Money amount = Below(4) == 0 ? kBalanceMax - Below(3000) : Below(3000);
    return {Call("CreditWallet", user, amount),
            [=](WriteTx& tx) { return Show(tx.CreditWallet(user, amount)); }};
  }

  Op DebitWallet() {
    const std::string user = Pick(kUsers);
    const Money amount = Below(5) == 0 ? 0 : Below(3000);
    return {Call("DebitWallet", user, amount),
            [=](WriteTx& tx) { return Show(tx.DebitWallet(user, amount)); }};
  }

  Op InsertWalletTransaction() {
    WalletTransaction t;
    t.id = FromPool("wtx_", kWalletTxPool);
    t.user_id = Pick(kUsers);
    t.kind = static_cast<WalletTxKind>(Below(3));
    t.amount = Below(100) - 3;
    t.balance_after = Below(100) - 3;
    t.payment_id = Below(2) ? "" : FromPool("pay_", kPaymentPool);
    t.created_at_ms = Below(100);
    return {Call("InsertWalletTransaction", Show(t)), [=](WriteTx& tx) {
              tx.InsertWalletTransaction(t);
              return kOk;
            }};
  }

  // Its tickets may reuse an id or a code, and its reservation may already be paid.
  Op InsertPayment() {
    Payment p;
    p.id = FromPool("pay_", kPaymentPool);
    p.user_id = Pick(kUsers);
    p.reservation_id = FromPool("res_", kReservationPool);
    p.method = "POINTS";
    p.amount = Below(100) - 3;
    p.status = "PAID";
    p.created_at_ms = Below(100);
    for (int i = Below(3); i > 0; --i) {
      Ticket t;
      t.id = FromPool("tkt_", kTicketPool);
      t.user_id = p.user_id;
      t.payment_id = p.id;
      t.reservation_id = p.reservation_id;
      t.schedule_id = Pick(kSchedules);
      if (Below(2)) {
        t.seat_id = Pick(kSeats);
      } else {
        t.ticket_type_id = Pick(kTicketTypes);
      }
      t.code = FromPool("code_", 20);
      t.status = static_cast<TicketStatus>(Below(2));
      p.tickets.push_back(t);
    }
    return {Call("InsertPayment", Show(p)), [=](WriteTx& tx) {
              tx.InsertPayment(p);
              return kOk;
            }};
  }

  // The outbox has no reader: only whether the append succeeds (a new id) is compared.
  Op AppendEvent() {
    const Event e{FromPool("evt_", kEventPool), Pick(kEventTypes), Below(100), "{}"};
    return {Call("AppendEvent", e.id, e.type, e.time_ms), [=](WriteTx& tx) {
              tx.AppendEvent(e);
              return kOk;
            }};
  }

  Op SaveIdempotentResponse() {
    const std::string user = Pick(kUsers), key = Pick(kIdempotencyKeys);
    const StoredResponse response{FromPool("fp_", 3), Below(2) ? 200 : 409, FromPool("body_", 3)};
    const UnixMs now = Below(100);
    return {Call("SaveIdempotentResponse", user, key, Show(response), now), [=](WriteTx& tx) {
              tx.SaveIdempotentResponse(user, key, response, now);
              return kOk;
            }};
  }

  // The port leaves open which rows a LIMIT picks; both stores delete the oldest first (SQLite
  // through its index on created_at_ms), so the state stays comparable.
  Op PruneIdempotentResponses() {
    const UnixMs before = Below(100);
    const int limit = 1 + Below(3);
    return {Call("PruneIdempotentResponses", before, limit), [=](WriteTx& tx) {
              return std::to_string(tx.PruneIdempotentResponses(before, limit));
            }};
  }

  std::mt19937 rng_;
};

// The starting catalog: three concerts and two schedules with seats and a ticket type each, one
// seat given as SOLD with a foreign schedule id and one ticket type with units taken (which
// InsertSchedule must reset). Then inserts that must fail: a taken email, a taken user id, two
// seats in one place.
std::vector<Op> SetupOps() {
  return {
      {"insert the catalog",
       [](WriteTx& tx) {
         tx.InsertConcert({"con_1", "One", "a", "v", 1});
         tx.InsertConcert({"con_2", "Two", "a", "v", 2});
         tx.InsertConcert({"con_0", "Zero", "a", "v", 3});
         tx.InsertSchedule({"sch_1", "con_1", 150, 3, 3, {{"tt_1", "", "GA", 500, 6, 4}}},
                           {{"seat_1", "zzz", "A", "1", 2, "R", 100, SeatStatus::kSold},
                            {"seat_2", "", "A", "1", 1, "R", 200, SeatStatus::kAvailable},
                            {"seat_3", "", "B", "1", 1, "R", 300, SeatStatus::kAvailable}});
         tx.InsertSchedule({"sch_2", "con_1", 100, 2, 2, {{"tt_2", "", "GA", 700, 3, 0}}},
                           {{"seat_4", "", "A", "1", 1, "R", 400, SeatStatus::kAvailable},
                            {"seat_5", "", "A", "1", 2, "R", 0, SeatStatus::kAvailable}});
         return kOk;
       }},
      {"insert two users with one email",
       [](WriteTx& tx) {
         const bool first =
             tx.InsertUser({"usr_1", "a@x", "A", "h", Grade::kBasic, Role::kUser, 1});
         const bool second =
             tx.InsertUser({"usr_2", "a@x", "B", "h", Grade::kBasic, Role::kUser, 1});
         return Fields(first, second);
       }},
      {"insert a taken user id",
       [](WriteTx& tx) {
         return Fields(tx.InsertUser({"usr_1", "b@x", "A", "h", Grade::kBasic, Role::kUser, 1}));
       }},
      {"insert two seats in one place",
       [](WriteTx& tx) {
         tx.InsertSchedule({"sch_9", "con_1", 1, 2, 2, {}},
                           {{"seat_91", "", "A", "1", 1, "R", 1, SeatStatus::kAvailable},
                            {"seat_92", "", "A", "1", 1, "R", 1, SeatStatus::kAvailable}});
         return kOk;
       }},
  };
}

// Runs `op` as one write job and waits for the transaction to end. Returns what the call
// answered ("threw" if it threw, which rolls the job back), and whether the commit failed. A
// read follows the call inside the job: a store may send a void write later, and its failure
// then surfaces at the job's next read (ports/store.h).
std::string RunJob(Store& store, const Op& op) {
  std::string answer;
  std::promise<bool> committed;
  store.Submit(WriteJob{[&](WriteTx& tx) {
                          try {
                            answer = op.run(tx);
                            (void)tx.FindUserById("");
                          } catch (const std::exception&) {
                            answer = "threw";
                            return false;
                          }
                          return op.keep;
                        },
                        [&](bool ok) { committed.set_value(ok); }});
  return committed.get_future().get() ? answer : answer + ", commit failed";
}

// The parameters are the real store and the seed of the random sequence.
class StoreDifferentialTest
    : public ::testing::TestWithParam<std::tuple<testing::StoreKind, unsigned>> {
 protected:
  void SetUp() override {
    real_ = testing::MakeStoreUnderTest(std::get<0>(GetParam()));
    if (!real_) GTEST_SKIP() << "PostgreSQL 15 is not installed here";
  }

  // Runs `op` on both stores, then compares their answers and everything they show.
  ::testing::AssertionResult Agree(const std::string& step, const Op& op) {
    const std::string name = testing::StoreKindName(std::get<0>(GetParam()));
    const std::string where =
        "seed " + std::to_string(std::get<1>(GetParam())) + ", " + step + ": " + op.call + "\n";
    Store& real = real_->store();
    const std::string real_answer = RunJob(real, op), memory_answer = RunJob(memory_, op);
    if (real_answer != memory_answer) {
      return ::testing::AssertionFailure() << where << "  " << name << " answered: " << real_answer
                                           << "\n  MemoryStore answered: " << memory_answer;
    }
    const auto real_reader = real.Read(), memory_reader = memory_.Read();
    for (const Read& read : AllReads()) {
      const std::string on_real = read.answer(*real_reader),
                        on_memory = read.answer(*memory_reader);
      if (on_real != on_memory) {
        return ::testing::AssertionFailure()
               << where << "then " << read.call << " differs\n  on " << name << ": " << on_real
               << "\n  on MemoryStore: " << on_memory;
      }
    }
    return ::testing::AssertionSuccess();
  }

  std::unique_ptr<testing::StoreUnderTest> real_;
  testing::MemoryStore memory_;
};

TEST_P(StoreDifferentialTest, MemoryStoreAnswersAsTheRealStoreDoes) {
  for (const Op& op : SetupOps()) ASSERT_TRUE(Agree("setup", op));
  RandomOps ops(std::get<1>(GetParam()));
  for (int step = 0; step < kSteps; ++step) {
    ASSERT_TRUE(Agree("step " + std::to_string(step), ops.Next()));
  }
}

INSTANTIATE_TEST_SUITE_P(StoresAndSeeds, StoreDifferentialTest,
                         ::testing::Combine(::testing::Values(testing::StoreKind::kSqlite,
                                                              testing::StoreKind::kPostgres),
                                            ::testing::Values(1u, 2u, 3u, 4u, 5u)),
                         [](const auto& info) {
                           return testing::StoreKindName(std::get<0>(info.param)) + "_seed" +
                                  std::to_string(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace bo
