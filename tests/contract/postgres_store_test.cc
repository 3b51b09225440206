// What only the shared PostgreSQL store has to prove, on a throwaway server: several writer
// lanes racing for the same rows never oversell, and never deadlock over seats (a hold skips a
// locked seat) or schedule counts (applied in id order); the jobs of one batch run side by side
// keep each outcome their own (and fall back to one at a time when they cannot); holds are
// heap-only updates and no lookup reads a whole table; two instances sweeping one database
// expire each hold once; a deadlock between lanes is run again instead of failing; a queued
// write that fails undoes its job alone; and the store comes back by itself after the database
// restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "adapters/postgres/connection.h"
#include "adapters/postgres/postgres_store.h"
#include "app/catalog.h"
#include "app/idempotency.h"
#include "app/payments.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "fakes/hold_tally.h"
#include "fakes/postgres_database_test.h"

namespace bo {
namespace {

class PostgresStoreTest : public testing::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (!Ready()) return;
    store_ = Open();
  }

  std::unique_ptr<postgres::PostgresStore> Open(int lanes = 3, bool interleave_jobs = true) {
    postgres::PostgresOptions options;
    options.url = url_;
    options.writer_lanes = lanes;
    options.interleave_jobs = interleave_jobs;
    options.pool_size = 4;
    return std::make_unique<postgres::PostgresStore>(options);
  }

  template <class T>
  Result<T> Run(Store& store, std::function<Result<T>(WriteTx&)> fn) {
    return RunUseCase<T>(store, std::move(fn));
  }

  Schedule MakeSchedule(int seats, int capacity) {
    auto concert = Run<Concert>(*store_, [&](WriteTx& tx) {
      return CreateConcert(tx, svc_, CreateConcertCommand{"c", "a", "v"});
    });
    CreateScheduleCommand cmd;
    cmd.concert_id = concert->id;
    cmd.starts_at_ms = kStartMs + 86'400'000;
    for (int i = 1; i <= seats; ++i) cmd.seats.push_back(SeatSpec{"A", "1", i, "R", 1'000});
    cmd.ticket_types.push_back(TicketTypeSpec{"GA", 500, capacity});
    auto s = Run<Schedule>(*store_, [&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
    EXPECT_TRUE(s.ok());
    return s.value();
  }

  std::vector<std::string> SeatIds(const Schedule& s) {
    std::vector<std::string> ids;
    for (const auto& seat : store_->Read()->ListSeats(s.id)) ids.push_back(seat.id);
    return ids;
  }

  void ExpectAuditPasses() {
    for (const auto& check : store_->Audit())
      EXPECT_TRUE(check.ok) << check.name << ": " << check.detail;
  }

  // Keeps the lane of `lane_key` busy with a job that waits for Release(), so that the jobs
  // submitted meanwhile queue up behind it and run as one batch. Released when it goes, at the
  // latest, so that a test stopping early does not leave the lane waiting.
  class BusyLane {
   public:
    // Returns once the busy job runs.
    BusyLane(Store& store, const std::string& lane_key) : store_(store) {
      auto running = std::make_shared<std::promise<void>>();
      auto started = std::make_shared<std::atomic<bool>>(false);
      std::future<void> runs = running->get_future();
      store.Submit(WriteJob{[released = release_.get_future().share(), running, started](WriteTx&) {
                              if (!started->exchange(true)) running->set_value();
                              released.wait();
                              return true;
                            },
                            [this](bool ok) { committed_.set_value(ok); }, lane_key});
      runs.wait();
    }
    ~BusyLane() {
      if (!released_) Release();
    }
    BusyLane(const BusyLane&) = delete;
    BusyLane& operator=(const BusyLane&) = delete;

    // Returns the store's stats once `jobs` jobs are queued behind the busy one.
    StoreStats WaitForQueued(size_t jobs) {
      while (store_.Stats().queue_jobs < jobs) std::this_thread::yield();
      return store_.Stats();
    }

    // Lets the lane go and returns once the busy job has committed (checked).
    void Release() {
      released_ = true;
      release_.set_value();
      EXPECT_TRUE(committed_.get_future().get());
    }

   private:
    Store& store_;
    std::promise<void> release_;
    std::promise<bool> committed_;
    bool released_ = false;
  };

  // Two lane keys that go to different lanes of a store with `lanes` lanes.
  static std::pair<std::string, std::string> KeysOnTwoLanes(int lanes) {
    const std::string first = "key_0";
    const size_t lane = std::hash<std::string>{}(first) % static_cast<size_t>(lanes);
    for (int i = 1;; ++i) {
      std::string other = "key_" + std::to_string(i);
      if (std::hash<std::string>{}(other) % static_cast<size_t>(lanes) != lane) {
        return {first, other};
      }
    }
  }

  struct TableStats {
    std::int64_t seq_scans = 0, index_scans = 0, inserted = 0, updated = 0, heap_only_updated = 0;
  };
  using AllTableStats = std::map<std::string, TableStats>;

  // The statistics of every table of the test's database (pg_stat_user_tables), read again
  // until `ready` accepts them (a connection reports its counts when it ends, a moment later),
  // for at most 30 s.
  AllTableStats TableStatsOnce(const std::function<bool(const AllTableStats&)>& ready) {
    auto conn = pg::Connection::Open(url_);
    EXPECT_TRUE(conn.ok());
    if (!conn.ok()) return {};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      const pg::Reply reply = (*conn)->RunOnce(
          "SELECT relname, seq_scan, COALESCE(idx_scan, 0), n_tup_ins, n_tup_upd, n_tup_hot_upd"
          " FROM pg_stat_user_tables",
          {});
      reply.Check("reading table statistics");
      AllTableStats stats;
      for (int i = 0; i < reply.rows(); ++i) {
        stats[reply.Text(i, 0)] =
            TableStats{reply.Int64(i, 1), reply.Int64(i, 2), reply.Int64(i, 3), reply.Int64(i, 4),
                       reply.Int64(i, 5)};
      }
      if (ready(stats) || std::chrono::steady_clock::now() >= deadline) return stats;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::unique_ptr<postgres::PostgresStore> store_;
};

// Holds of one schedule spread over every lane (each job its own lane key), so that lanes fight
// over the same seats and the schedule's row: no seat is ever held twice, every request is
// answered on its own, all or nothing, and none waits for another's seat lock, so the lanes
// never deadlock and no batch runs out of retries.
TEST_F(PostgresStoreTest, HoldsRacingOverSeveralLanesNeverShareASeat) {
  const Schedule schedule = MakeSchedule(30, 0);
  const auto seat_ids = SeatIds(schedule);
  constexpr int kThreads = 6, kPerThread = 100;
  std::mutex mu;
  std::vector<Reservation> won;
  std::atomic<int> refused{0}, unavailable{0}, answered{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const size_t first = rng() % 28, n = 1 + rng() % 3;
        ReserveSeatsCommand cmd{"usr_" + std::to_string(t), schedule.id, {}};
        for (size_t k = first; k < std::min(first + n, seat_ids.size()); ++k)
          cmd.seat_ids.push_back(seat_ids[k]);
        SubmitUseCase<Reservation>(
            *store_, [&, cmd](WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); },
            [&](Result<Reservation> r) {
              if (r.ok()) {
                std::lock_guard lock(mu);
                won.push_back(r.value());
              } else if (r.error().code == ErrorCode::kUnavailable) {
                ++unavailable;
              } else {
                EXPECT_EQ(r.error().code, ErrorCode::kSeatUnavailable) << r.error().detail;
                ++refused;
              }
              ++answered;
            },
            "job_" + std::to_string(t) + "_" + std::to_string(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  while (answered.load() < kThreads * kPerThread) std::this_thread::yield();

  std::set<std::string> held;
  for (const auto& r : won) {
    for (const auto& id : r.seat_ids) EXPECT_TRUE(held.insert(id).second) << id << " held twice";
  }
  EXPECT_GT(won.size(), 0u);
  EXPECT_EQ(unavailable.load(), 0);
  EXPECT_EQ(static_cast<int>(won.size()) + refused.load(), kThreads * kPerThread);
  EXPECT_EQ(store_->Read()->FindSchedule(schedule.id)->seats_available,
            30 - static_cast<int>(held.size()));
  for (const auto& seat : store_->Read()->ListSeats(schedule.id)) {
    EXPECT_EQ(seat.status == SeatStatus::kHeld, held.count(seat.id) == 1) << seat.id;
  }
  ExpectAuditPasses();
}

// Another transaction (a hold on another instance, a sale, a release) has locked a seat: a hold
// of it, alone or in a batch beside another hold, is answered "being taken" at once instead of
// waiting for that transaction, and holds nothing; once the lock is gone the seat can be held.
TEST_F(PostgresStoreTest, AHoldDoesNotWaitForASeatAnotherTransactionHasLocked) {
  auto store = Open(1);
  const Schedule schedule = MakeSchedule(3, 0);
  const auto seat_ids = SeatIds(schedule);
  const std::string& locked = seat_ids[0];
  auto other = pg::Connection::Open(url_);
  ASSERT_TRUE(other.ok());
  pg::Connection& conn = **other;
  conn.Exec("BEGIN").Check("BEGIN");
  conn.RunOnce("SELECT id FROM seats WHERE id = $1 FOR UPDATE", {locked}).Check("locking");

  auto hold_async = [&](std::vector<std::string> seats, std::string user_id) {
    auto answer = std::make_shared<std::promise<Result<Reservation>>>();
    SubmitUseCase<Reservation>(
        *store,
        [&, cmd = ReserveSeatsCommand{std::move(user_id), schedule.id, std::move(seats)}](
            WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); },
        [answer](Result<Reservation> r) { answer->set_value(std::move(r)); });
    return answer->get_future();
  };
  auto answered = [](std::future<Result<Reservation>>& f) {
    return f.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  };
  // A lone hold sends its plain statement.
  auto lone = hold_async({locked}, "usr_1");
  const bool lone_answered = answered(lone);
  // Two holds in one batch send the set form: one wants the locked seat (and a free one).
  BusyLane busy(*store, "");
  auto with_locked = hold_async({seat_ids[1], locked}, "usr_2");
  auto beside = hold_async({seat_ids[2]}, "usr_3");
  busy.WaitForQueued(2);
  busy.Release();
  const bool batch_answered = answered(with_locked) && answered(beside);
  // Ends the other transaction before any wait: a hold that waited is answered only now.
  conn.Exec("ROLLBACK").Check("ROLLBACK");
  ASSERT_TRUE(lone_answered && batch_answered) << "a hold waited for the other transaction";

  for (auto* refused : {&lone, &with_locked}) {
    const Result<Reservation> r = refused->get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kSeatUnavailable);
    EXPECT_EQ(r.error().detail, "seat " + locked + " is being taken by another hold");
  }
  EXPECT_TRUE(beside.get().ok());
  EXPECT_EQ(store->Read()->FindSeat(seat_ids[1])->status, SeatStatus::kAvailable);
  EXPECT_EQ(store->Read()->FindSchedule(schedule.id)->seats_available, 2);
  // The lock is gone: the seat is free to hold.
  auto again = hold_async({locked}, "usr_4");
  EXPECT_TRUE(again.get().ok());
  EXPECT_EQ(store->Read()->FindSchedule(schedule.id)->seats_available, 1);
  ExpectAuditPasses();
}

// A hold changes only columns no index covers, on pages with room left: PostgreSQL writes each
// hold as a heap-only tuple and no index entry (migration 0004). Paying and cancelling find the
// seats through the reservation's list instead.
TEST_F(PostgresStoreTest, SeatHoldsWriteNoIndexEntry) {
  const Schedule schedule = MakeSchedule(200, 0);
  const auto seat_ids = SeatIds(schedule);
  constexpr int kHolds = 10;
  for (int i = 0; i < kHolds; ++i) {
    const ReserveSeatsCommand cmd{"usr_1", schedule.id, {seat_ids[static_cast<size_t>(i) * 20]}};
    ASSERT_TRUE(
        Run<Reservation>(*store_, [&](WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); }).ok());
  }
  ExpectAuditPasses();
  store_.reset();  // its connections end and report their table statistics
  const AllTableStats stats =
      TableStatsOnce([](const AllTableStats& s) { return s.at("seats").updated >= kHolds; });
  EXPECT_EQ(stats.at("seats").updated, kHolds);
  EXPECT_EQ(stats.at("seats").heap_only_updated, kHolds);
}

// Every statement of the store finds its rows through an index, whatever the size of its
// tables when a connection planned it. Buyers hold, charge with an Idempotency-Key and pay, two
// at a time in one batch (so set forms run too), first on small tables and again once they
// have grown; no statement reads a whole table. (A generic plan made on a small table could,
// and the connection kept it as the table grew: a payment's key lookup scanned every key.)
TEST_F(PostgresStoreTest, LookupsStayOnTheirIndexesWhateverTheTablesSizeWhenPlanned) {
  store_ = Open(1);  // one writer; the reads are sequential, so one reader serves them
  // What the migrations read (building indexes), once their connection has reported it.
  const AllTableStats migrated = TableStatsOnce(
      [](const AllTableStats& s) { return s.at("schema_migrations").inserted >= 4; });
  const Schedule schedule = MakeSchedule(20, 0);
  const auto seat_ids = SeatIds(schedule);
  auto user = [](int b) { return "usr_" + std::to_string(b); };
  auto key = [](int b) { return "charge_" + std::to_string(b); };
  // Runs `job` for buyers b and b + 1 as one batch of the one writer lane, so that their
  // statements go as set forms, and waits for both to be kept.
  auto as_one_batch = [&](int b, const std::function<bool(WriteTx&, int)>& job) {
    BusyLane busy(*store_, "");
    std::promise<bool> kept[2];
    for (int k = 0; k < 2; ++k) {
      store_->Submit(WriteJob{[&, k](WriteTx& tx) { return job(tx, b + k); },
                              [&, k](bool ok) { kept[k].set_value(ok); }});
    }
    busy.WaitForQueued(2);
    busy.Release();
    for (auto& k : kept) EXPECT_TRUE(k.get_future().get());
  };
  // Buyers b and b + 1 each hold a seat, charge their wallet with an Idempotency-Key and pay;
  // then their reservation and stored answer are read.
  std::vector<Reservation> held(10);
  auto two_buyers = [&](int b) {
    as_one_batch(b, [&](WriteTx& tx, int n) {
      auto r = ReserveSeats(
          tx, svc_, ReserveSeatsCommand{user(n), schedule.id, {seat_ids[static_cast<size_t>(n)]}});
      if (r.ok()) held[static_cast<size_t>(n)] = *r;
      return r.ok();
    });
    as_one_batch(b, [&](WriteTx& tx, int n) {
      return RunIdempotent(tx, svc_, IdempotentRequest{user(n), key(n), "fp"},
                           [&](WriteTx& w) -> Result<StoredResponse> {
                             auto c = ChargeWallet(w, svc_, user(n),
                                                   held[static_cast<size_t>(n)].amount);
                             if (!c.ok()) return c.error();
                             return StoredResponse{"fp", 201, c->id};
                           })
          .ok();
    });
    as_one_batch(b, [&](WriteTx& tx, int n) {
      return PayReservation(tx, svc_, user(n), held[static_cast<size_t>(n)].id).ok();
    });
    for (int n = b; n < b + 2; ++n) {
      auto reader = store_->Read();
      EXPECT_EQ(reader->FindReservation(held[static_cast<size_t>(n)].id)->status,
                ReservationStatus::kPaid);
      EXPECT_TRUE(reader->FindIdempotentResponse(user(n), key(n)).has_value());
    }
  };
  auto conn = pg::Connection::Open(url_);
  ASSERT_TRUE(conn.ok());
  auto add_rows = [&](int rows) {
    const std::string n = std::to_string(rows);
    (*conn)
        ->Exec(("INSERT INTO idempotency_keys SELECT 'usr_x' || g, 'k' || " + n +
                ", 'fp', 201, '', 0 FROM generate_series(1, " + n + ") AS g")
                   .c_str())
        .Check("adding idempotency keys");
    (*conn)
        ->Exec(("INSERT INTO reservation_seats SELECT 'res_x' || g, " + n +
                ", 'seat_x' FROM generate_series(1, " + n + ") AS g")
                   .c_str())
        .Check("adding reservation seats");
  };
  add_rows(50);                                  // small tables: a page each
  for (int b = 0; b < 4; b += 2) two_buyers(b);  // statements planned now
  add_rows(20'000);
  for (int b = 4; b < 10; b += 2) two_buyers(b);
  store_.reset();  // its connections end and report their table statistics
  // Each flow inserts one payment and looks its key up twice (writer and reader).
  constexpr int kFlows = 10;
  const AllTableStats stats = TableStatsOnce([](const AllTableStats& s) {
    return s.at("payments").inserted >= kFlows &&
           s.at("idempotency_keys").index_scans >= 2 * kFlows;
  });
  EXPECT_EQ(stats.at("payments").inserted, kFlows);
  for (const auto& [table, counts] : stats) {
    const auto before = migrated.find(table);
    EXPECT_EQ(counts.seq_scans, before == migrated.end() ? 0 : before->second.seq_scans)
        << table << " was read whole";
  }
  EXPECT_GE(stats.at("reservation_seats").index_scans, kFlows);
}

// Payments queued behind a busy lane form one batch: their reservation transitions, tickets,
// wallet transactions and payments go as set forms. Each payment keeps its own tickets and
// debit; two payments of one reservation in that batch have one winner, and the batch is not
// run again singly.
TEST_F(PostgresStoreTest, ABatchOfPaymentsKeepsEachItsOwnTicketsAndDebit) {
  auto store = Open(1);
  const Schedule schedule = MakeSchedule(12, 0);
  const auto seat_ids = SeatIds(schedule);
  constexpr int kBuyers = 6;
  std::vector<Reservation> held;
  for (int b = 0; b < kBuyers; ++b) {
    const std::string user = "usr_" + std::to_string(b);
    const ReserveSeatsCommand cmd{
        user,
        schedule.id,
        {seat_ids[static_cast<size_t>(2 * b)], seat_ids[static_cast<size_t>(2 * b + 1)]}};
    auto r = Run<Reservation>(*store, [&](WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); });
    ASSERT_TRUE(r.ok());
    held.push_back(*r);
    ASSERT_TRUE(Run<WalletTransaction>(*store, [&](WriteTx& tx) {
                  return ChargeWallet(tx, svc_, user, 5'000);
                }).ok());
  }
  BusyLane busy(*store, "");
  // Every buyer pays; buyer 0 twice.
  std::vector<std::future<Result<Payment>>> answers;
  for (int k = 0; k <= kBuyers; ++k) {
    const int b = k == kBuyers ? 0 : k;
    auto answer = std::make_shared<std::promise<Result<Payment>>>();
    answers.push_back(answer->get_future());
    SubmitUseCase<Payment>(
        *store,
        [&, b](WriteTx& tx) {
          return PayReservation(tx, svc_, "usr_" + std::to_string(b),
                                held[static_cast<size_t>(b)].id);
        },
        [answer](Result<Payment> r) { answer->set_value(std::move(r)); });
  }
  const StoreStats before = busy.WaitForQueued(static_cast<size_t>(kBuyers + 1));
  busy.Release();
  std::vector<Result<Payment>> results;
  for (auto& answer : answers) results.push_back(answer.get());
  const StoreStats after = store->Stats();

  EXPECT_EQ(after.batches_run_singly, before.batches_run_singly);
  EXPECT_EQ(after.transactions_committed - before.transactions_committed, 2u);  // blocker + batch
  // Buyer 0's two payments: exactly one paid.
  EXPECT_NE(results[0].ok(), results[kBuyers].ok());
  const Result<Payment>& refused = results[0].ok() ? results[kBuyers] : results[0];
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidState);
  auto reader = store->Read();
  for (int b = 0; b < kBuyers; ++b) {
    const Result<Payment>& paid =
        b == 0 && !results[0].ok() ? results[kBuyers] : results[static_cast<size_t>(b)];
    ASSERT_TRUE(paid.ok()) << b;
    const Reservation& r = held[static_cast<size_t>(b)];
    EXPECT_EQ(paid->reservation_id, r.id);
    const auto stored = reader->FindPayment(paid->id);
    ASSERT_TRUE(stored.has_value());
    ASSERT_EQ(stored->tickets.size(), 2u);
    std::set<std::string> ticket_seats;
    for (const Ticket& t : stored->tickets) {
      EXPECT_EQ(t.user_id, r.user_id);
      EXPECT_EQ(t.reservation_id, r.id);
      ticket_seats.insert(t.seat_id);
    }
    EXPECT_EQ(ticket_seats, std::set<std::string>(r.seat_ids.begin(), r.seat_ids.end()));
    EXPECT_EQ(reader->FindReservation(r.id)->status, ReservationStatus::kPaid);
    EXPECT_EQ(reader->WalletBalance(r.user_id), 5'000 - r.amount);
  }
  ExpectAuditPasses();
}

// Two lanes each run a batch of jobs that hold a seat of each of two schedules, one lane in
// the one order and the other in the opposite order, and commit at the same moment: both
// batches count on both schedules' rows. The counts are applied in schedule id order, so the
// lanes never deadlock over them: every job commits on its first run, and the counts are exact.
TEST_F(PostgresStoreTest, LanesCountingOnTheSameSchedulesNeverDeadlock) {
  auto store = Open(2);
  constexpr int kRounds = 10, kJobsPerLane = 10;
  const Schedule first = MakeSchedule(kRounds * kJobsPerLane * 2, 0),
                 second = MakeSchedule(kRounds * kJobsPerLane * 2, 0);
  const std::vector<std::string> seats[2] = {SeatIds(first), SeatIds(second)};
  const std::string schedule_ids[2] = {first.id, second.id};
  const auto [key_a, key_b] = KeysOnTwoLanes(2);
  std::atomic<int> runs{0}, committed{0};
  size_t next_seat = 0;
  for (int round = 0; round < kRounds; ++round) {
    BusyLane busy_a(*store, key_a), busy_b(*store, key_b);
    std::vector<std::future<bool>> kept;
    for (int lane = 0; lane < 2; ++lane) {
      for (int k = 0; k < kJobsPerLane; ++k, ++next_seat) {
        auto done = std::make_shared<std::promise<bool>>();
        kept.push_back(done->get_future());
        // Lane a holds in the first schedule first, lane b in the second.
        store->Submit(WriteJob{[&, lane, seat = next_seat](WriteTx& tx) {
                                 ++runs;
                                 const std::string reservation = "res_" + std::to_string(seat);
                                 for (int n = 0; n < 2; ++n) {
                                   const int s = (lane + n) % 2;
                                   if (!tx.HoldSeat(seats[s][seat], schedule_ids[s], reservation))
                                     return false;
                                 }
                                 return true;
                               },
                               [done](bool ok) { done->set_value(ok); },
                               lane == 0 ? key_a : key_b});
      }
    }
    busy_a.WaitForQueued(2 * kJobsPerLane);
    busy_a.Release();
    busy_b.Release();
    for (auto& k : kept) committed += k.get() ? 1 : 0;
  }
  EXPECT_EQ(committed.load(), kRounds * 2 * kJobsPerLane);
  // A batch that met a deadlock would have run again, and its jobs with it.
  EXPECT_EQ(runs.load(), kRounds * 2 * kJobsPerLane);
  for (const Schedule& s : {first, second}) {
    EXPECT_EQ(store->Read()->FindSchedule(s.id)->seats_available, 0);  // every seat held
  }
}

// One hot general-admission type: with its jobs on one lane (as the HTTP layer routes them) or
// spread over every lane, never a unit over capacity.
TEST_F(PostgresStoreTest, GeneralAdmissionNeverGoesOverCapacity) {
  const Schedule schedule = MakeSchedule(0, 120);
  const std::string type_id = schedule.ticket_types.at(0).id;
  std::atomic<int> won{0}, sold_out{0}, answered{0};
  constexpr int kJobs = 600;
  for (int i = 0; i < kJobs; ++i) {
    const std::string lane_key = i % 2 == 0 ? schedule.id : "spread_" + std::to_string(i);
    SubmitUseCase<Reservation>(
        *store_,
        [&, i](WriteTx& tx) {
          return ReserveTickets(
              tx, svc_,
              ReserveTicketsCommand{"usr_" + std::to_string(i % 7), schedule.id, type_id, 1});
        },
        [&](Result<Reservation> r) {
          if (r.ok()) {
            ++won;
          } else {
            EXPECT_EQ(r.error().code, ErrorCode::kSoldOut) << r.error().detail;
            ++sold_out;
          }
          ++answered;
        },
        lane_key);
  }
  while (answered.load() < kJobs) std::this_thread::yield();
  EXPECT_EQ(won.load(), 120);
  EXPECT_EQ(sold_out.load(), kJobs - 120);
  EXPECT_EQ(store_->Read()->FindTicketType(type_id)->taken, 120);
  const StoreStats stats = store_->Stats();
  EXPECT_LT(stats.transactions_committed, stats.jobs_run);  // group commit happened
  ExpectAuditPasses();
}

// Many overlapping multi-seat holds on one lane, submitted at once so that they share batches.
// A hold that took its first seat and then found the second taken has written something it
// must undo alone: its batch runs again one job at a time. Either way, and with side-by-side
// running switched off, every request is answered on its own, all or nothing, no seat twice.
TEST_F(PostgresStoreTest, BatchedMultiSeatHoldsStayAllOrNothing) {
  for (const bool interleave : {true, false}) {
    SCOPED_TRACE(interleave ? "side by side" : "one after the other");
    auto store = Open(1, interleave);
    const Schedule schedule = MakeSchedule(40, 0);
    const auto seat_ids = SeatIds(schedule);
    constexpr int kJobs = 400;
    testing::HoldTally tally;
    std::mt19937 rng(7);
    const StoreStats before = store->Stats();
    for (int i = 0; i < kJobs; ++i) {
      const size_t first = rng() % 38, n = 1 + rng() % 3;
      ReserveSeatsCommand cmd{"usr_" + std::to_string(i % 9), schedule.id, {}};
      for (size_t k = first; k < first + n; ++k) cmd.seat_ids.push_back(seat_ids[k]);
      tally.Submit(*store, svc_, cmd);
    }
    tally.WaitForAnswers(kJobs);
    const std::vector<Reservation> won = tally.won();
    const StoreStats after = store->Stats();

    std::set<std::string> held;
    for (const auto& r : won) {
      for (const auto& id : r.seat_ids) EXPECT_TRUE(held.insert(id).second) << id << " twice";
      const auto stored = store->Read()->FindReservation(r.id);
      ASSERT_TRUE(stored.has_value());
      EXPECT_EQ(stored->seat_ids, r.seat_ids);
    }
    EXPECT_EQ(static_cast<int>(won.size()) + tally.refused(), kJobs);
    for (const auto& seat : store->Read()->ListSeats(schedule.id)) {
      EXPECT_EQ(seat.status == SeatStatus::kHeld, held.count(seat.id) == 1) << seat.id;
    }
    EXPECT_EQ(store->Read()->FindSchedule(schedule.id)->seats_available,
              40 - static_cast<int>(held.size()));
    EXPECT_LT(after.transactions_committed - before.transactions_committed,
              static_cast<std::uint64_t>(kJobs));  // they shared transactions
    if (interleave) {
      EXPECT_GT(after.batches_run_singly, before.batches_run_singly);
    } else {
      EXPECT_EQ(after.batches_run_singly, 0u);
    }
    ExpectAuditPasses();
  }
}

// Single-seat holds, ten for each seat, submitted at once: those that find their seat taken
// wrote nothing, so their batches commit side by side without running again.
TEST_F(PostgresStoreTest, HoldsThatFindTheirSeatTakenDoNotRunTheBatchAgain) {
  auto store = Open(1);
  const Schedule schedule = MakeSchedule(20, 0);
  const auto seat_ids = SeatIds(schedule);
  constexpr int kJobs = 200;
  testing::HoldTally tally;
  for (int i = 0; i < kJobs; ++i) {
    tally.Submit(*store, svc_,
                 ReserveSeatsCommand{"usr_" + std::to_string(i),
                                     schedule.id,
                                     {seat_ids[static_cast<size_t>(i) % seat_ids.size()]}});
  }
  tally.WaitForAnswers(kJobs);
  EXPECT_EQ(tally.won().size(), 20u);
  EXPECT_EQ(tally.refused(), kJobs - 20);
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.batches_run_singly, 0u);
  EXPECT_LT(stats.transactions_committed, stats.jobs_run);
  EXPECT_EQ(store->Read()->FindSchedule(schedule.id)->seats_available, 0);
  ExpectAuditPasses();
}

// Holds queued behind a job that keeps the one lane busy, so that they form one batch: several
// of them want each seat. Their holds go as one set-based statement; one job per seat wins, the
// others are answered "not available" on their own, and the batch is not run again singly.
TEST_F(PostgresStoreTest, ABatchOfHoldsOnFewSeatsHasOneWinnerPerSeat) {
  auto store = Open(1);
  const Schedule schedule = MakeSchedule(4, 0);
  const auto seat_ids = SeatIds(schedule);
  BusyLane busy(*store, "");
  constexpr int kJobs = 40;
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> winners_by_seat;
  std::atomic<int> refused{0}, answered{0};
  for (int i = 0; i < kJobs; ++i) {
    const std::string seat = seat_ids[static_cast<size_t>(i) % seat_ids.size()];
    const ReserveSeatsCommand cmd{"usr_" + std::to_string(i), schedule.id, {seat}};
    SubmitUseCase<Reservation>(
        *store, [&, cmd](WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); },
        [&, seat](Result<Reservation> r) {
          if (r.ok()) {
            std::lock_guard lock(mu);
            winners_by_seat[seat].push_back(r->id);
            EXPECT_EQ(r->seat_ids, std::vector<std::string>{seat});
            EXPECT_EQ(r->amount, 1'000);
          } else {
            EXPECT_EQ(r.error().code, ErrorCode::kSeatUnavailable) << r.error().detail;
            ++refused;
          }
          ++answered;
        },
        LaneKeyOf(cmd));
  }
  // Every hold is queued behind the busy lane before it is let go.
  const StoreStats before = busy.WaitForQueued(static_cast<size_t>(kJobs));
  busy.Release();
  while (answered.load() < kJobs) std::this_thread::yield();
  const StoreStats after = store->Stats();

  EXPECT_EQ(after.batches_run_singly, before.batches_run_singly);
  EXPECT_EQ(after.transactions_committed - before.transactions_committed, 2u);  // blocker + batch
  EXPECT_EQ(refused.load(), kJobs - static_cast<int>(seat_ids.size()));
  ASSERT_EQ(winners_by_seat.size(), seat_ids.size());
  for (const auto& seat : store->Read()->ListSeats(schedule.id)) {
    ASSERT_EQ(winners_by_seat[seat.id].size(), 1u) << seat.id;
    EXPECT_EQ(seat.status, SeatStatus::kHeld);
    const auto held = store->Read()->FindReservation(winners_by_seat[seat.id].front());
    ASSERT_TRUE(held.has_value());
    EXPECT_EQ(held->seat_ids, std::vector<std::string>{seat.id});
  }
  EXPECT_EQ(store->Read()->FindSchedule(schedule.id)->seats_available, 0);
  ExpectAuditPasses();
}

// Jobs of one batch whose set-based insert fails (two of them insert the same reservation id):
// the batch is abandoned and run again one job at a time, where only the second of the two
// fails; the rest commit.
TEST_F(PostgresStoreTest, AFailingSetBasedInsertRunsTheBatchAgainSingly) {
  auto store = Open(1);
  const Schedule schedule = MakeSchedule(2, 0);
  BusyLane busy(*store, schedule.id);
  auto reservation = [&](const std::string& id) {
    Reservation r;
    r.id = id;
    r.user_id = "usr_1";
    r.schedule_id = schedule.id;
    r.concert_id = schedule.concert_id;
    r.ticket_type_id = schedule.ticket_types.at(0).id;
    r.quantity = 1;
    r.amount = 500;
    r.expires_at_ms = kStartMs + 300'000;
    r.created_at_ms = kStartMs;
    return r;
  };
  const std::vector<std::string> ids{"res_a", "res_dup", "res_b", "res_dup", "res_c"};
  std::vector<std::promise<bool>> done(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    store->Submit(WriteJob{[&, i](WriteTx& tx) {
                             tx.InsertReservation(reservation(ids[i]));
                             return true;
                           },
                           [&, i](bool ok) { done[i].set_value(ok); }, schedule.id});
  }
  const StoreStats before = busy.WaitForQueued(ids.size());
  busy.Release();
  std::vector<bool> committed;
  for (auto& d : done) committed.push_back(d.get_future().get());
  EXPECT_EQ(committed, (std::vector<bool>{true, true, true, false, true}));
  EXPECT_EQ(store->Stats().batches_run_singly, before.batches_run_singly + 1);
  for (const char* id : {"res_a", "res_dup", "res_b", "res_c"}) {
    EXPECT_TRUE(store->Read()->FindReservation(id).has_value()) << id;
  }
}

// Requests with an Idempotency-Key in one batch: their lookups, stored answers and events go
// as set forms, and the batch commits side by side. In a second batch two share a key, so the
// set-based insert of the answers fails: the batch runs again singly and the second of the two
// replays the first's answer.
TEST_F(PostgresStoreTest, IdempotentRequestsInOneBatchStoreEachAnswerOnce) {
  auto store = Open(1);
  std::vector<std::optional<IdempotentOutcome>> outcomes;
  // Runs one batch of requests with `keys`; returns how many batches ran singly meanwhile.
  auto batch = [&](const std::vector<std::string>& keys, const std::string& prefix) {
    BusyLane busy(*store, "user_lane");
    outcomes.assign(keys.size(), std::nullopt);
    std::vector<std::promise<bool>> done(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      store->Submit(WriteJob{
          [&, i](WriteTx& tx) {
            auto outcome = RunIdempotent(
                tx, svc_, IdempotentRequest{"usr_1", keys[i], "fp"},
                [&, i](WriteTx& w) -> Result<StoredResponse> {
                  w.AppendEvent(Event{prefix + std::to_string(i), "test.event", kStartMs, "{}"});
                  return StoredResponse{"", 201, prefix + std::to_string(i)};
                });
            if (outcome.ok()) outcomes[i] = *outcome;
            return outcome.ok();
          },
          [&, i](bool ok) { done[i].set_value(ok); }, "user_lane"});
    }
    const StoreStats before = busy.WaitForQueued(keys.size());
    busy.Release();
    for (auto& d : done) EXPECT_TRUE(d.get_future().get());
    return store->Stats().batches_run_singly - before.batches_run_singly;
  };
  auto expect_stored = [&](const std::vector<std::string>& keys) {
    for (size_t i = 0; i < keys.size(); ++i) {
      ASSERT_TRUE(outcomes[i].has_value()) << i;
      const auto stored = store->Read()->FindIdempotentResponse("usr_1", keys[i]);
      ASSERT_TRUE(stored.has_value()) << i;
      EXPECT_EQ(stored->body, outcomes[i]->response.body) << i;
      EXPECT_EQ(stored->status, 201);
    }
  };

  const std::vector<std::string> first{"k-1", "k-\"2\"", "k-{3},", "k-\\4"};
  EXPECT_EQ(batch(first, "evt_a"), 0u);
  expect_stored(first);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_FALSE(outcomes[i]->replayed) << i;

  const std::vector<std::string> second{"k-5", "k-dup", "k-6", "k-dup", "k-1"};
  EXPECT_EQ(batch(second, "evt_b"), 1u);
  expect_stored(second);
  EXPECT_EQ(outcomes[3]->response.body, "evt_b1");  // replays the first k-dup's answer
  EXPECT_EQ(outcomes[4]->response.body, "evt_a0");  // and k-1 the first batch's
  for (size_t i = 0; i < second.size(); ++i) EXPECT_EQ(outcomes[i]->replayed, i >= 3) << i;

  auto conn = pg::Connection::Open(url_);
  ASSERT_TRUE(conn.ok());
  const pg::Reply events = (*conn)->RunOnce("SELECT id FROM outbox ORDER BY seq", {});
  ASSERT_TRUE(events.ok());
  std::set<std::string> ids;
  for (int i = 0; i < events.rows(); ++i) EXPECT_TRUE(ids.insert(events.Text(i, 0)).second);
  EXPECT_EQ(ids, (std::set<std::string>{"evt_a0", "evt_a1", "evt_a2", "evt_a3", "evt_b0", "evt_b1",
                                        "evt_b2"}));
}

// Two instances on one database sweep the same due holds at once: each hold expires exactly
// once (FOR UPDATE SKIP LOCKED hands them disjoint holds; the transitions are conditional).
TEST_F(PostgresStoreTest, TwoInstancesSweepingExpireEachHoldOnce) {
  constexpr int kHolds = 300;
  const Schedule schedule = MakeSchedule(kHolds, 0);
  const auto seat_ids = SeatIds(schedule);
  for (int i = 0; i < kHolds; ++i) {
    ASSERT_TRUE(
        Run<Reservation>(*store_, [&](WriteTx& tx) {
          return ReserveSeats(tx, svc_, ReserveSeatsCommand{"usr_1", schedule.id, {seat_ids[i]}});
        }).ok());
  }
  clock_.Set(kStartMs + 301'000);
  auto other = Open(2);
  std::atomic<int> expired{0};
  auto sweep = [&](Store& store) {
    for (int round = 0; round < 100; ++round) {
      auto n = Run<int>(store, [&](WriteTx& tx) { return ExpireHolds(tx, svc_, ""); });
      ASSERT_TRUE(n.ok()) << n.error().detail;
      expired += *n;
      if (*n == 0 && store_->Read()->FindSchedule(schedule.id)->seats_available == kHolds) return;
    }
  };
  std::vector<std::thread> sweepers;
  for (int i = 0; i < 2; ++i) sweepers.emplace_back([&] { sweep(*store_); });
  for (int i = 0; i < 2; ++i) sweepers.emplace_back([&] { sweep(*other); });
  for (auto& t : sweepers) t.join();
  EXPECT_EQ(expired.load(), kHolds);
  EXPECT_EQ(store_->Read()->FindSchedule(schedule.id)->seats_available, kHolds);
  ExpectAuditPasses();
}

// Two jobs on two lanes take two rows in opposite orders and wait for each other in between:
// PostgreSQL reports a deadlock to one of them, whose lane rolls its batch back and runs it
// again; both commit.
TEST_F(PostgresStoreTest, ADeadlockBetweenLanesIsRunAgain) {
  const Schedule first = MakeSchedule(0, 10), second = MakeSchedule(0, 10);
  const std::string a = first.ticket_types.at(0).id, b = second.ticket_types.at(0).id;
  const auto [key_a, key_b] = KeysOnTwoLanes(3);
  std::atomic<int> took_first{0}, runs{0};
  auto job = [&](std::string one, std::string two) {
    return [&, one, two](WriteTx& tx) {
      ++runs;
      if (!tx.TakeUnits(one, 1)) return false;
      // The first runs wait for each other's first take (at most 5 s); a rerun goes straight on.
      ++took_first;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (took_first.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return tx.TakeUnits(two, 1);
    };
  };
  std::promise<bool> done_a, done_b;
  store_->Submit(WriteJob{job(a, b), [&](bool ok) { done_a.set_value(ok); }, key_a});
  store_->Submit(WriteJob{job(b, a), [&](bool ok) { done_b.set_value(ok); }, key_b});
  EXPECT_TRUE(done_a.get_future().get());
  EXPECT_TRUE(done_b.get_future().get());
  EXPECT_GT(runs.load(), 2);  // one of them ran again
  EXPECT_EQ(store_->Read()->FindTicketType(a)->taken, 2);
  EXPECT_EQ(store_->Read()->FindTicketType(b)->taken, 2);
}

// A void write is sent with the job's end; when it fails, that job alone is undone and answered
// done(false), while the jobs of its batch commit.
TEST_F(PostgresStoreTest, AQueuedWriteThatFailsUndoesItsJobAlone) {
  std::atomic<int> answered{0}, committed{0};
  constexpr int kJobs = 100;
  for (int i = 0; i < kJobs; ++i) {
    store_->Submit(
        WriteJob{[i](WriteTx& tx) {
                   // Every third job inserts a concert id taken by an earlier job.
                   const int id = i % 3 == 2 ? i - 1 : i;
                   tx.InsertConcert(Concert{"con_" + std::to_string(id), "n", "a", "v", 0});
                   return true;
                 },
                 [&](bool ok) {
                   committed += ok ? 1 : 0;
                   ++answered;
                 },
                 "one_lane"});
  }
  while (answered.load() < kJobs) std::this_thread::yield();
  EXPECT_EQ(committed.load(), kJobs - kJobs / 3);
  auto reader = store_->Read();
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_EQ(reader->FindConcert("con_" + std::to_string(i)).has_value(), i % 3 != 2) << i;
  }
}

// A job with more writes than are queued at once (a schedule of many seats) sends them in
// rounds, and they all land.
TEST_F(PostgresStoreTest, ABigScheduleIsWrittenInRounds) {
  const Schedule schedule = MakeSchedule(5'000, 10);
  EXPECT_EQ(SeatIds(schedule).size(), 5'000u);
  EXPECT_EQ(store_->Read()->FindSchedule(schedule.id)->seats_available, 5'000);
}

// While the database is down, writes are answered unavailable and reads fail at once; once it
// is back, the same store serves again without a restart.
TEST_F(PostgresStoreTest, RecoversByItselfAfterTheDatabaseRestarts) {
  const Schedule schedule = MakeSchedule(4, 0);
  const auto seats = SeatIds(schedule);
  auto hold = [&](const std::string& seat) {
    return Run<Reservation>(*store_, [&](WriteTx& tx) {
      return ReserveSeats(tx, svc_, ReserveSeatsCommand{"usr_1", schedule.id, {seat}});
    });
  };
  ASSERT_TRUE(hold(seats[0]).ok());
  ASSERT_TRUE(store_->Ping());

  server_->Stop();
  for (int i = 0; i < 3; ++i) {  // the first meets the lost connection, the next the backoff
    auto r = hold(seats[1]);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  }
  EXPECT_FALSE(store_->Ping());
  const auto before = std::chrono::steady_clock::now();
  EXPECT_ANY_THROW(store_->Read()->FindSchedule(schedule.id));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(3));

  ASSERT_TRUE(server_->Start());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool held = false;
  while (!held && std::chrono::steady_clock::now() < deadline) {
    held = store_->Ping() && hold(seats[1]).ok();
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(held);
  EXPECT_EQ(store_->Read()->FindSchedule(schedule.id)->seats_available, 2);
  ExpectAuditPasses();
}

}  // namespace
}  // namespace bo
