// Every real store against a real database (SQLite in a file, PostgreSQL in a throwaway
// server): group commit under concurrent writers, the conditional writes under races, expiry
// against payment, the audit catching planted damage, and data surviving a reopen.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "app/catalog.h"
#include "app/payments.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "fakes/hold_tally.h"
#include "fakes/store_under_test.h"

namespace bo {
namespace {

constexpr UnixMs kStartMs = 1'790'000'000'000;

class StoreContractTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  void SetUp() override {
    under_test_ = testing::MakeStoreUnderTest(GetParam());
    if (!under_test_) GTEST_SKIP() << "PostgreSQL 15 is not installed here";
  }

  Store& store() { return under_test_->store(); }

  template <class T>
  Result<T> Run(std::function<Result<T>(WriteTx&)> fn) {
    return RunUseCase<T>(store(), std::move(fn));
  }

  // A schedule with `seats` seats (price 1,000 each) and one ticket type of `capacity` units.
  Schedule MakeSchedule(int seats, int capacity) {
    auto concert = Run<Concert>([&](WriteTx& tx) {
      return CreateConcert(tx, svc_, CreateConcertCommand{"c", "a", "v"});
    });
    CreateScheduleCommand cmd;
    cmd.concert_id = concert->id;
    cmd.starts_at_ms = kStartMs + 86'400'000;
    for (int i = 1; i <= seats; ++i) cmd.seats.push_back(SeatSpec{"A", "1", i, "R", 1'000});
    cmd.ticket_types.push_back(TicketTypeSpec{"GA", 500, capacity});
    auto s = Run<Schedule>([&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
    EXPECT_TRUE(s.ok());
    return s.value();
  }

  std::vector<std::string> SeatIds(const Schedule& s) {
    std::vector<std::string> ids;
    for (const auto& seat : store().Read()->ListSeats(s.id)) ids.push_back(seat.id);
    return ids;
  }

  void ExpectAuditPasses() {
    for (const auto& check : store().Audit())
      EXPECT_TRUE(check.ok) << check.name << ": " << check.detail;
  }

  std::unique_ptr<testing::StoreUnderTest> under_test_;
  ManualClock clock_{kStartMs};
  TimeOrderedIdGenerator ids_{clock_};
  TicketCodeSigner signer_{"ticket-key"};
  Services svc_{clock_, ids_, HoldPolicy{300}, signer_};
};

TEST_P(StoreContractTest, ConcurrentOverlappingHoldsNeverShareASeat) {
  const Schedule schedule = MakeSchedule(20, 0);
  const auto seat_ids = SeatIds(schedule);
  constexpr int kThreads = 8, kPerThread = 150;
  testing::HoldTally tally;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const size_t first = rng() % 18, n = 1 + rng() % 3;
        ReserveSeatsCommand cmd{"usr_" + std::to_string(t), schedule.id, {}};
        for (size_t k = first; k < std::min(first + n, seat_ids.size()); ++k)
          cmd.seat_ids.push_back(seat_ids[k]);
        tally.Submit(store(), svc_, cmd);
      }
    });
  }
  for (auto& t : threads) t.join();
  tally.WaitForAnswers(kThreads * kPerThread);
  const std::vector<Reservation> won = tally.won();

  std::set<std::string> held;
  for (const auto& r : won) {
    for (const auto& id : r.seat_ids) EXPECT_TRUE(held.insert(id).second) << id << " held twice";
  }
  EXPECT_EQ(static_cast<int>(won.size()) + tally.refused(), kThreads * kPerThread);
  const auto after = store().Read()->FindSchedule(schedule.id);
  EXPECT_EQ(after->seats_available, 20 - static_cast<int>(held.size()));
  for (const auto& seat : store().Read()->ListSeats(schedule.id)) {
    EXPECT_EQ(seat.status == SeatStatus::kHeld, held.count(seat.id) == 1) << seat.id;
  }
  // Many jobs shared each transaction.
  const StoreStats stats = store().Stats();
  EXPECT_LT(stats.transactions_committed, stats.jobs_run);
  ExpectAuditPasses();
}

TEST_P(StoreContractTest, ConcurrentBuyersNeverTakeMoreUnitsThanCapacity) {
  const Schedule schedule = MakeSchedule(0, 50);
  const std::string type_id = schedule.ticket_types.at(0).id;
  std::atomic<int> won{0}, sold_out{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = Run<Reservation>([&](WriteTx& tx) {
          return ReserveTickets(
              tx, svc_, ReserveTicketsCommand{"usr_" + std::to_string(t), schedule.id, type_id, 1});
        });
        if (r.ok()) {
          ++won;
        } else {
          EXPECT_EQ(r.error().code, ErrorCode::kSoldOut);
          ++sold_out;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 50);
  EXPECT_EQ(sold_out.load(), 350);
  EXPECT_EQ(store().Read()->FindTicketType(type_id)->taken, 50);
  ExpectAuditPasses();
}

TEST_P(StoreContractTest, AFailingJobRollsBackAloneInsideABatch) {
  std::atomic<int> answered{0};
  for (int i = 0; i < 200; ++i) {
    store().Submit(
        WriteJob{[this, i](WriteTx& tx) {
                   tx.InsertConcert(Concert{"con_" + std::to_string(i), "n", "a", "v", 0});
                   return i % 2 == 0;  // odd jobs fail after writing
                 },
                 [&](bool committed) {
                   EXPECT_TRUE(committed);
                   ++answered;
                 }});
  }
  while (answered.load() < 200) std::this_thread::yield();
  auto reader = store().Read();
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(reader->FindConcert("con_" + std::to_string(i)).has_value(), i % 2 == 0) << i;
  }
}

TEST_P(StoreContractTest, PaymentAndExpiryCannotBothWin) {
  const Schedule schedule = MakeSchedule(2, 0);
  const auto seats = SeatIds(schedule);
  ASSERT_TRUE(Run<WalletTransaction>([&](WriteTx& tx) {
                return ChargeWallet(tx, svc_, "usr_1", 10'000);
              }).ok());
  auto hold = [&](const std::string& seat) {
    return Run<Reservation>([&](WriteTx& tx) {
      return ReserveSeats(tx, svc_, ReserveSeatsCommand{"usr_1", schedule.id, {seat}});
    });
  };
  auto pay = [&](const std::string& id) {
    return Run<Payment>([&](WriteTx& tx) { return PayReservation(tx, svc_, "usr_1", id); });
  };
  auto expire = [&] {
    return Run<int>([&](WriteTx& tx) { return ExpireHolds(tx, svc_, ""); }).value();
  };

  // One millisecond before expiry: payment wins, the sweep finds nothing.
  auto first = hold(seats[0]);
  clock_.Set(first->expires_at_ms - 1);
  ASSERT_TRUE(pay(first->id).ok());
  clock_.Set(first->expires_at_ms + 1);
  EXPECT_EQ(expire(), 0);
  EXPECT_EQ(store().Read()->FindReservation(first->id)->status, ReservationStatus::kPaid);

  // At expiry: the sweep wins, payment is refused and charges nothing.
  auto second = hold(seats[1]);
  clock_.Set(second->expires_at_ms);
  EXPECT_EQ(expire(), 1);
  auto late = pay(second->id);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kReservationExpired);
  EXPECT_EQ(store().Read()->FindReservation(second->id)->status, ReservationStatus::kExpired);
  EXPECT_EQ(store().Read()->WalletBalance("usr_1"), 9'000);
  EXPECT_EQ(store().Read()->FindSeat(seats[1])->status, SeatStatus::kAvailable);
  ExpectAuditPasses();
}

TEST_P(StoreContractTest, AuditCatchesEveryPlantedViolation) {
  const Schedule schedule = MakeSchedule(3, 10);
  const auto seats = SeatIds(schedule);
  const std::string type_id = schedule.ticket_types.at(0).id;
  ASSERT_TRUE(Run<WalletTransaction>([&](WriteTx& tx) {
                return ChargeWallet(tx, svc_, "usr_1", 10'000);
              }).ok());
  auto seated = Run<Reservation>([&](WriteTx& tx) {
    return ReserveSeats(tx, svc_, ReserveSeatsCommand{"usr_1", schedule.id, {seats[0]}});
  });
  ASSERT_TRUE(Run<Payment>([&](WriteTx& tx) {
                return PayReservation(tx, svc_, "usr_1", seated->id);
              }).ok());
  auto ga = Run<Reservation>([&](WriteTx& tx) {
    return ReserveTickets(tx, svc_, ReserveTicketsCommand{"usr_1", schedule.id, type_id, 2});
  });
  ASSERT_TRUE(
      Run<Payment>([&](WriteTx& tx) { return PayReservation(tx, svc_, "usr_1", ga->id); }).ok());
  auto held = Run<Reservation>([&](WriteTx& tx) {
    return ReserveSeats(tx, svc_, ReserveSeatsCommand{"usr_2", schedule.id, {seats[1]}});
  });
  ASSERT_TRUE(held.ok());
  ExpectAuditPasses();

  struct Plant {
    std::string damage, repair, check;
  };
  const std::vector<Plant> plants = {
      {"INSERT INTO reservation_seats VALUES ('" + held->id + "', 1, '" + seats[0] + "')",
       "DELETE FROM reservation_seats WHERE reservation_id = '" + held->id + "' AND position = 1",
       "no seat is held or sold by two reservations"},
      {"UPDATE seats SET status = 'SOLD' WHERE id = '" + seats[1] + "'",
       "UPDATE seats SET status = 'HELD' WHERE id = '" + seats[1] + "'",
       "every held or sold seat belongs to its live reservation"},
      {"UPDATE schedules SET seats_available = seats_available + 1",
       "UPDATE schedules SET seats_available = seats_available - 1",
       "seatsAvailable of every schedule counts its available seats"},
      {"UPDATE ticket_types SET taken = taken + 1", "UPDATE ticket_types SET taken = taken - 1",
       "sold <= capacity, and taken units equal held + paid quantities"},
      {"UPDATE payments SET amount = amount + 1 WHERE reservation_id = '" + ga->id + "'",
       "UPDATE payments SET amount = amount - 1 WHERE reservation_id = '" + ga->id + "'",
       "every paid reservation has one payment of its amount, and no other has one"},
      {"UPDATE tickets SET status = 'REFUNDED' WHERE reservation_id = '" + ga->id + "'",
       "UPDATE tickets SET status = 'VALID' WHERE reservation_id = '" + ga->id + "'",
       "every paid reservation has one ticket per seat or unit"},
      {"UPDATE wallets SET balance = balance + 5", "UPDATE wallets SET balance = balance - 5",
       "every wallet balance equals the sum of its transactions"},
      {"UPDATE wallet_transactions SET kind = 'REFUND' WHERE kind = 'PAYMENT'",
       "UPDATE wallet_transactions SET kind = 'PAYMENT' WHERE payment_id IS NOT NULL",
       "every points payment has exactly its debit"},
      {"UPDATE outbox SET type = 'x' WHERE type = 'payment.completed'",
       "UPDATE outbox SET type = 'payment.completed' WHERE type = 'x'",
       "every paid reservation has its payment.completed event"},
  };
  for (const auto& plant : plants) {
    under_test_->ExecRaw(plant.damage);
    bool caught = false;
    for (const auto& check : store().Audit()) {
      if (check.name == plant.check) caught = !check.ok;
    }
    EXPECT_TRUE(caught) << plant.check << " missed: " << plant.damage;
    under_test_->ExecRaw(plant.repair);
    ExpectAuditPasses();
  }
}

TEST_P(StoreContractTest, DataSurvivesAReopen) {
  const Schedule schedule = MakeSchedule(1, 0);
  auto r = Run<Reservation>([&](WriteTx& tx) {
    return ReserveSeats(tx, svc_, ReserveSeatsCommand{"usr_1", schedule.id, SeatIds(schedule)});
  });
  ASSERT_TRUE(r.ok());
  under_test_->Reopen();
  const auto again = store().Read()->FindReservation(r->id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->seat_ids, r->seat_ids);
  EXPECT_EQ(store().Read()->FindSchedule(schedule.id)->seats_available, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(testing::StoreKind::kSqlite,
                                           testing::StoreKind::kPostgres),
                         [](const auto& info) { return testing::StoreKindName(info.param); });

}  // namespace
}  // namespace bo
