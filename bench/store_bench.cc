// Hold and pay use cases on a real store, through SubmitUseCase as the HTTP layer runs them
// (holds routed to a writer lane as the API routes them, LaneKeyOf):
//  - SQLite (WAL file in a temporary directory), by default;
//  - PostgreSQL when BOXOFFICE_BENCH_POSTGRES names a database (postgres://…, e.g. the one
//    bench/postgres.sh starts). There every benchmark runs twice, argument `interleave` 1 and 0:
//    the writer lanes running a batch's jobs side by side on fibers, and one after the other.
//
// One iteration is one use case (one hold, or one hold followed by its payment). Up to
// `window` (the benchmark argument) are in flight at once: the benchmark submits `window` of
// them and then waits for all, so the store's writer can commit them in a few transactions
// (group commit). BM_HoldSeat_Sequential waits for each before submitting the next: the
// latency of a lone request. Time is wall-clock time, since the work runs on the writer thread.
//
// Counters: items_per_second (use cases per second) and jobs_per_commit (write jobs the store
// ran per transaction it committed during the measured run).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "adapters/postgres/postgres_store.h"
#include "adapters/sqlite/sqlite_store.h"
#include "app/catalog.h"
#include "app/payments.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "crypto/ticket_code.h"
#include "ports/clock.h"
#include "ports/id_generator.h"

namespace bo {
namespace {

constexpr char kUserId[] = "usr_bench";

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) throw std::runtime_error(std::string(what) + ": " + r.error().detail);
  return std::move(r).value();
}

// Counts use cases in flight and lets the benchmark thread wait until none is.
class InFlight {
 public:
  void Add() {
    std::lock_guard lock(mu_);
    ++pending_;
  }
  void Done(bool ok) {
    std::lock_guard lock(mu_);
    if (!ok) ++failed_;
    if (--pending_ == 0) cv_.notify_all();
  }
  void WaitAll() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
  }
  std::int64_t failed() {
    std::lock_guard lock(mu_);
    return failed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t pending_ = 0;
  std::int64_t failed_ = 0;
};

struct Seat {
  std::string schedule_id;
  std::string seat_id;
};

// The store and the catalog every benchmark draws from, created on first use.
class Env {
 public:
  static Env& Get() {
    static Env env;
    return env;
  }

  // The store under test; on PostgreSQL, the one whose lanes interleave jobs or not.
  Store& store(bool interleave = true) {
    return !interleave && sequential_store_ ? *sequential_store_ : *store_;
  }
  static bool OnPostgres() { return !PostgresUrl().empty(); }
  Services& svc() { return svc_; }

  // Takes `n` seats that no benchmark held yet, creating schedules of kSeatsPerScheduleMax
  // seats (price 1) as needed.
  std::vector<Seat> TakeSeats(std::int64_t n) {
    while (static_cast<std::int64_t>(free_seats_.size()) < n) AddSeatedSchedule();
    std::vector<Seat> out(free_seats_.end() - n, free_seats_.end());
    free_seats_.resize(free_seats_.size() - static_cast<size_t>(n));
    return out;
  }

  // A ticket type (schedule id, type id) with at least `n` units left.
  std::pair<std::string, std::string> TakeUnits(std::int64_t n) {
    if (ga_units_left_ < n) AddGaSchedule();
    ga_units_left_ -= n;
    return {ga_schedule_id_, ga_type_id_};
  }

  // Makes sure the bench user's wallet covers `amount` more.
  void EnsureBalance(Money amount) {
    while (store_->Read()->WalletBalance(kUserId) < amount) {
      Must(RunUseCase<WalletTransaction>(
               *store_,
               [this](WriteTx& tx) { return ChargeWallet(tx, svc_, kUserId, kChargeAmountMax); }),
           "charge");
    }
  }

 private:
  static std::string PostgresUrl() {
    const char* url = std::getenv("BOXOFFICE_BENCH_POSTGRES");
    return url == nullptr ? std::string() : std::string(url);
  }

  Env() {
    if (OnPostgres()) {
      postgres::PostgresOptions options;
      options.url = PostgresUrl();
      store_ = std::make_unique<postgres::PostgresStore>(options);
      options.interleave_jobs = false;
      sequential_store_ = std::make_unique<postgres::PostgresStore>(options);
    } else {
      std::string tmpl = (std::filesystem::temp_directory_path() / "bench_store.XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      dir_ = tmpl;
      sqlite::SqliteOptions options;
      options.path = (dir_ / "boxoffice.db").string();
      store_ = std::make_unique<sqlite::SqliteStore>(options);
    }
    concert_id_ = Must(RunUseCase<Concert>(
                           *store_,
                           [this](WriteTx& tx) {
                             return CreateConcert(tx, svc_, {"Bench", "The Writers", "Tmp Hall"});
                           }),
                       "create concert")
                      .id;
  }

  ~Env() {
    sequential_store_.reset();
    store_.reset();
    if (dir_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void AddSeatedSchedule() {
    CreateScheduleCommand cmd;
    cmd.concert_id = concert_id_;
    cmd.starts_at_ms = clock_.NowMs() + 86'400'000;
    cmd.seats.reserve(kSeatsPerScheduleMax);
    for (const char* section : {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"}) {
      for (int row = 1; row <= 100; ++row) {
        for (int number = 1; number <= 100; ++number) {
          cmd.seats.push_back(SeatSpec{section, std::to_string(row), number, "R", 1});
        }
      }
    }
    const Schedule s =
        Must(RunUseCase<Schedule>(
                 *store_, [this, &cmd](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); }),
             "create schedule");
    for (auto& seat : store_->Read()->ListSeats(s.id)) {
      free_seats_.push_back(Seat{s.id, std::move(seat.id)});
    }
  }

  void AddGaSchedule() {
    CreateScheduleCommand cmd;
    cmd.concert_id = concert_id_;
    cmd.starts_at_ms = clock_.NowMs() + 86'400'000;
    cmd.ticket_types.push_back(TicketTypeSpec{"Standing", 1, kTicketCapacityMax});
    const Schedule s =
        Must(RunUseCase<Schedule>(
                 *store_, [this, &cmd](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); }),
             "create schedule");
    ga_schedule_id_ = s.id;
    ga_type_id_ = s.ticket_types.at(0).id;
    ga_units_left_ = kTicketCapacityMax;
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  TimeOrderedIdGenerator ids_{clock_};
  TicketCodeSigner signer_{"k"};
  Services svc_{clock_, ids_, HoldPolicy{300}, signer_};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> sequential_store_;  // PostgreSQL only
  std::string concert_id_;
  std::vector<Seat> free_seats_;
  std::string ga_schedule_id_;
  std::string ga_type_id_;
  std::int64_t ga_units_left_ = 0;
};

// Runs the benchmark loop: `submit(i, in_flight)` starts use case i, which calls
// in_flight.Done once it is answered; after every `window` of them the loop waits for all.
// The store a benchmark runs on: its `interleave` argument (the last), if any.
Store& StoreOf(const benchmark::State& state) {
  return Env::Get().store(!Env::OnPostgres() || state.range(1) != 0);
}

template <class SubmitFn>
void RunWindowed(benchmark::State& state, std::int64_t window, SubmitFn submit) {
  Store& store = StoreOf(state);
  InFlight in_flight;
  const StoreStats before = store.Stats();
  std::int64_t i = 0;
  for (auto _ : state) {
    in_flight.Add();
    submit(i, in_flight);
    ++i;
    if (i % window == 0 || i == static_cast<std::int64_t>(state.max_iterations)) {
      in_flight.WaitAll();
    }
  }
  in_flight.WaitAll();
  const StoreStats after = store.Stats();
  if (in_flight.failed() > 0) {
    state.SkipWithError((std::to_string(in_flight.failed()) + " use cases failed").c_str());
    return;
  }
  state.SetItemsProcessed(state.iterations());
  const auto commits = after.transactions_committed - before.transactions_committed;
  if (commits > 0) {
    state.counters["jobs_per_commit"] =
        static_cast<double>(after.jobs_run - before.jobs_run) / static_cast<double>(commits);
  }
}

void SubmitHoldSeat(Store& store, const Seat& seat,
                    std::function<void(Result<Reservation>)> reply) {
  ReserveSeatsCommand cmd{kUserId, seat.schedule_id, {seat.seat_id}};
  std::string lane_key = LaneKeyOf(cmd);
  SubmitUseCase<Reservation>(
      store,
      [&svc = Env::Get().svc(), cmd = std::move(cmd)](WriteTx& tx) {
        return ReserveSeats(tx, svc, cmd);
      },
      std::move(reply), std::move(lane_key));
}

void HoldSeats(benchmark::State& state, std::int64_t window) {
  const auto seats = Env::Get().TakeSeats(static_cast<std::int64_t>(state.max_iterations));
  Store& store = StoreOf(state);
  RunWindowed(state, window, [&store, &seats](std::int64_t i, InFlight& in_flight) {
    SubmitHoldSeat(store, seats[static_cast<size_t>(i)],
                   [&in_flight](Result<Reservation> r) { in_flight.Done(r.ok()); });
  });
}

void BM_HoldSeat(benchmark::State& state) { HoldSeats(state, state.range(0)); }

void BM_HoldSeat_Sequential(benchmark::State& state) { HoldSeats(state, 1); }

void BM_HoldGa(benchmark::State& state) {
  Env& env = Env::Get();
  const auto [schedule_id, type_id] =
      env.TakeUnits(static_cast<std::int64_t>(state.max_iterations));
  const ReserveTicketsCommand cmd{kUserId, schedule_id, type_id, 1};
  Store& store = StoreOf(state);
  RunWindowed(state, state.range(0), [&env, &store, &cmd](std::int64_t, InFlight& in_flight) {
    SubmitUseCase<Reservation>(
        store, [&svc = env.svc(), cmd](WriteTx& tx) { return ReserveTickets(tx, svc, cmd); },
        [&in_flight](Result<Reservation> r) { in_flight.Done(r.ok()); }, LaneKeyOf(cmd));
  });
}

// Hold a seat; once the hold is answered, pay it with points (as a client would, in a second
// request). One iteration is the pair.
void BM_HoldAndPay(benchmark::State& state) {
  Env& env = Env::Get();
  const auto n = static_cast<std::int64_t>(state.max_iterations);
  const auto seats = env.TakeSeats(n);
  env.EnsureBalance(n);  // every seat costs 1
  Store& store = StoreOf(state);
  RunWindowed(state, state.range(0), [&env, &store, &seats](std::int64_t i, InFlight& in_flight) {
    SubmitHoldSeat(
        store, seats[static_cast<size_t>(i)], [&env, &store, &in_flight](Result<Reservation> held) {
          if (!held.ok()) return in_flight.Done(false);
          SubmitUseCase<Payment>(
              store,
              [&svc = env.svc(), id = held->id](WriteTx& tx) {
                return PayReservation(tx, svc, kUserId, id);
              },
              [&in_flight](Result<Payment> paid) { in_flight.Done(paid.ok()); }, kUserId);
        });
  });
}

void Windows(benchmark::internal::Benchmark* b) {
  for (const int window : {16, 64, 256, 1024}) {
    if (!Env::OnPostgres()) {
      b->Arg(window);
    } else {
      for (const int interleave : {1, 0}) b->Args({window, interleave});
    }
  }
  if (Env::OnPostgres()) {
    b->ArgNames({"window", "interleave"});
  } else {
    b->ArgName("window");
  }
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

void Lone(benchmark::internal::Benchmark* b) {
  if (Env::OnPostgres()) b->Args({1, 1})->Args({1, 0})->ArgNames({"window", "interleave"});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_HoldSeat)->Apply(Windows);
BENCHMARK(BM_HoldGa)->Apply(Windows);
BENCHMARK(BM_HoldAndPay)->Apply(Windows);
BENCHMARK(BM_HoldSeat_Sequential)->Apply(Lone);

}  // namespace
}  // namespace bo

BENCHMARK_MAIN();
