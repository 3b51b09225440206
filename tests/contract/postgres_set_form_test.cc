// The set forms of an interleaved batch on a throwaway PostgreSQL (adapters/postgres/coalescing):
// array parameters carry any text as it is; the runs of one step go as one set-based statement
// whose rows reach the right job (several jobs wanting one seat get one winner, the row's
// holder); a lone job sends plain statements; a failing set form abandons the batch.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>

#include "adapters/postgres/array_param.h"
#include "adapters/postgres/fiber_batch.h"
#include "adapters/postgres/postgres_store.h"
#include "adapters/postgres/write_tx.h"
#include "app/catalog.h"
#include "app/submit.h"
#include "fakes/postgres_database_test.h"

namespace bo {
namespace {

using postgres::FiberBatch;
using postgres::FiberStackPool;
using postgres::PgWriteTx;

constexpr pg::Statement kBegin{"t_begin", "BEGIN"};
constexpr pg::Statement kCommit{"t_commit", "COMMIT"};
constexpr pg::Statement kRollback{"t_rollback", "ROLLBACK"};
constexpr pg::Statement kPreparedHere{"test_prepared_here",
                                      "SELECT name FROM pg_prepared_statements ORDER BY name"};

class PostgresSetFormTest : public testing::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (!Ready()) return;
    postgres::PostgresOptions options;
    options.url = url_;  // applies the migrations
    store_ = std::make_unique<postgres::PostgresStore>(options);
  }

  // A schedule whose seat i costs 1000 + i.
  Schedule MakeSchedule(int seats) {
    auto concert = RunUseCase<Concert>(*store_, [&](WriteTx& tx) {
      return CreateConcert(tx, svc_, CreateConcertCommand{"c", "a", "v"});
    });
    CreateScheduleCommand cmd;
    cmd.concert_id = concert->id;
    cmd.starts_at_ms = kStartMs + 86'400'000;
    for (int i = 0; i < seats; ++i) cmd.seats.push_back(SeatSpec{"A", "1", i + 1, "R", 1'000 + i});
    cmd.ticket_types.push_back(TicketTypeSpec{"GA", 500, 10});
    auto s =
        RunUseCase<Schedule>(*store_, [&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
    EXPECT_TRUE(s.ok());
    return s.value();
  }

  std::vector<Seat> Seats(const Schedule& s) { return store_->Read()->ListSeats(s.id); }

  std::unique_ptr<pg::Connection> Pipelined() {
    auto conn = pg::Connection::OpenPipelined(url_, pg::PipelineOptions{}, {});
    EXPECT_TRUE(conn.ok());
    return std::move(conn).value();
  }

  // Runs `bodies`, one job each, as one interleaved batch in one transaction on `conn`, and
  // commits it if the batch was not abandoned (rolls it back otherwise). Returns Run's answer.
  bool RunBatch(pg::Connection& conn, const std::vector<std::function<void(PgWriteTx&)>>& jobs,
                std::string* failure_sqlstate = nullptr) {
    FiberStackPool stacks(256 * 1024, 64);
    conn.Queue(kBegin, {});
    bool kept = false;
    {
      FiberBatch fibers(conn, stacks);
      std::vector<std::unique_ptr<PgWriteTx>> txs;
      std::vector<std::function<void()>> bodies;
      for (size_t i = 0; i < jobs.size(); ++i) {
        txs.push_back(std::make_unique<PgWriteTx>(conn, &fibers));
        bodies.emplace_back([&, i] {
          try {
            jobs[i](*txs[i]);
          } catch (const std::exception&) {
            ++abandoned_jobs_;
          }
        });
      }
      kept = fibers.Run(bodies);
      if (failure_sqlstate != nullptr) *failure_sqlstate = fibers.failure_sqlstate();
    }
    if (kept) {
      conn.Queue(kCommit, {});
    } else {
      if (conn.queued() > 0) (void)conn.RoundTrip();
      conn.Queue(kRollback, {});
    }
    for (const pg::Reply& reply : conn.RoundTrip()) EXPECT_TRUE(reply.ok()) << reply.error();
    return kept;
  }

  // The statements prepared on `conn` so far.
  static std::set<std::string> PreparedOn(pg::Connection& conn) {
    conn.Queue(kPreparedHere, {});
    const auto replies = conn.RoundTrip();
    std::set<std::string> names;
    for (int i = 0; i < replies.at(0).rows(); ++i) names.insert(replies[0].Text(i, 0));
    return names;
  }

  std::unique_ptr<postgres::PostgresStore> store_;
  int abandoned_jobs_ = 0;
};

// Odd texts, as elements of a text[] parameter, come back as they were; so do NULLs and the
// extremes of bigint.
TEST_F(PostgresSetFormTest, ArrayParametersCarryAnyTextAsItIs) {
  const std::vector<std::optional<std::string>> texts{"plain",
                                                      "with \"quotes\"",
                                                      "back\\slash",
                                                      "\\",
                                                      "\"",
                                                      "a,b",
                                                      "{braces}",
                                                      "}",
                                                      "{",
                                                      "  spaced  ",
                                                      "NULL",
                                                      "null",
                                                      "",
                                                      "it's",
                                                      "tab\there",
                                                      "line\nbreak",
                                                      "caf\u00e9 \u4e2d\u6587 \U0001F39F",
                                                      std::nullopt,
                                                      "\\\"{,}\\",
                                                      "sea_01_\"A\"\\"};
  pg::ArrayLiteral literal;
  for (const auto& t : texts) {
    literal.Add(t ? std::optional<std::string_view>(*t) : std::nullopt);
  }
  EXPECT_EQ(literal.size(), texts.size());
  const std::string array = std::move(literal).Take();
  auto conn = pg::Connection::Open(url_);
  ASSERT_TRUE(conn.ok());
  const pg::Reply reply = (*conn)->RunOnce(
      "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, ord) ORDER BY ord", {array});
  ASSERT_TRUE(reply.ok()) << reply.error() << " for " << array;
  ASSERT_EQ(reply.rows(), static_cast<int>(texts.size()));
  for (int i = 0; i < reply.rows(); ++i) {
    const auto& want = texts[static_cast<size_t>(i)];
    ASSERT_EQ(reply.IsNull(i, 0), !want.has_value()) << i;
    if (want) {
      EXPECT_EQ(reply.Text(i, 0), *want) << i;
    }
  }

  const std::vector<std::int64_t> numbers{0, -1, 42, std::numeric_limits<std::int64_t>::max(),
                                          std::numeric_limits<std::int64_t>::min()};
  const pg::Reply ints = (*conn)->RunOnce(
      "SELECT x FROM unnest($1::bigint[]) WITH ORDINALITY AS u(x, ord) ORDER BY ord",
      {pg::IntArray(numbers.size(), [&](size_t i) { return numbers[i]; })});
  ASSERT_TRUE(ints.ok()) << ints.error();
  ASSERT_EQ(ints.rows(), static_cast<int>(numbers.size()));
  for (int i = 0; i < ints.rows(); ++i)
    EXPECT_EQ(ints.Int64(i, 0), numbers[static_cast<size_t>(i)]);

  // An array of array literals (the set form of a statement that takes an array).
  const std::string inner = pg::TextArray(2, [](size_t i) { return i == 0 ? "a\"b" : "c,d"; });
  const pg::Reply nested =
      (*conn)->RunOnce("SELECT (x::text[])[2] FROM unnest($1::text[]) AS u(x)",
                       {pg::TextArray(1, [&](size_t) -> const std::string& { return inner; })});
  ASSERT_TRUE(nested.ok()) << nested.error();
  EXPECT_EQ(nested.Text(0, 0), "c,d");
}

// Ten jobs want one seat in one batch: their holds go as one statement, which updates the seat
// once; exactly one job gets it, and it is the job the row names.
TEST_F(PostgresSetFormTest, JobsWantingOneSeatInOneBatchGetOneWinner) {
  const Schedule schedule = MakeSchedule(3);
  const Seat seat = Seats(schedule).at(1);
  auto conn = Pipelined();
  constexpr int kJobs = 10;
  std::vector<std::optional<Money>> prices(kJobs);
  std::vector<std::function<void(PgWriteTx&)>> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.emplace_back([&, i](PgWriteTx& tx) {
      prices[static_cast<size_t>(i)] =
          tx.HoldSeat(seat.id, schedule.id, "res_same_" + std::to_string(i));
    });
  }
  ASSERT_TRUE(RunBatch(*conn, jobs));
  EXPECT_EQ(abandoned_jobs_, 0);
  int winner = -1;
  for (int i = 0; i < kJobs; ++i) {
    if (!prices[static_cast<size_t>(i)]) continue;
    EXPECT_EQ(winner, -1) << "a second winner: " << i;
    winner = i;
    EXPECT_EQ(*prices[static_cast<size_t>(i)], seat.price);
  }
  ASSERT_NE(winner, -1);
  const auto reply = pg::Connection::Open(url_).value()->RunOnce(
      "SELECT status, reservation_id FROM seats WHERE id = $1", {seat.id});
  EXPECT_EQ(reply.Text(0, 0), "HELD");
  EXPECT_EQ(reply.Text(0, 1), "res_same_" + std::to_string(winner));
  EXPECT_TRUE(PreparedOn(*conn).count("w_hold_seat_set"));
  EXPECT_FALSE(PreparedOn(*conn).count("w_hold_seat"));
}

// Jobs of one batch with different wants, some of two seats, some of a seat that does not
// exist or is another schedule's: each gets the price of its own seat, or no row.
TEST_F(PostgresSetFormTest, ABatchOfMixedSeatsGivesEachJobItsOwnRows) {
  const Schedule schedule = MakeSchedule(6), other = MakeSchedule(2);
  const auto seats = Seats(schedule);
  const auto others = Seats(other);
  struct Want {
    std::vector<std::string> seat_ids;
    std::vector<std::optional<Money>> expected;
  };
  const std::vector<Want> wants{
      {{seats[0].id}, {seats[0].price}},
      {{seats[2].id, seats[3].id}, {seats[2].price, seats[3].price}},
      {{"sea_missing"}, {std::nullopt}},
      {{others[0].id}, {std::nullopt}},  // not a seat of `schedule`
      {{seats[4].id}, {seats[4].price}},
      {{seats[5].id, "sea_missing_too"}, {seats[5].price, std::nullopt}},
      {{seats[1].id}, {seats[1].price}},
  };
  std::vector<std::vector<std::optional<Money>>> got(wants.size());
  std::vector<std::optional<Schedule>> read(wants.size());
  std::vector<std::function<void(PgWriteTx&)>> jobs;
  for (size_t i = 0; i < wants.size(); ++i) {
    jobs.emplace_back([&, i](PgWriteTx& tx) {
      // Half of them read the other schedule: each must get its own and its ticket types.
      read[i] = tx.FindSchedule(i % 2 == 0 ? schedule.id : other.id);
      for (const auto& id : wants[i].seat_ids) {
        got[i].push_back(tx.HoldSeat(id, schedule.id, "res_mixed_" + std::to_string(i)));
      }
    });
  }
  auto conn = Pipelined();
  ASSERT_TRUE(RunBatch(*conn, jobs));
  for (size_t i = 0; i < wants.size(); ++i) {
    EXPECT_EQ(got[i], wants[i].expected) << "job " << i;
    ASSERT_TRUE(read[i].has_value());
    const Schedule& want = i % 2 == 0 ? schedule : other;
    EXPECT_EQ(read[i]->id, want.id);
    ASSERT_EQ(read[i]->ticket_types.size(), 1u);
    EXPECT_EQ(read[i]->ticket_types[0].id, want.ticket_types.at(0).id);
  }
  const auto prepared = PreparedOn(*conn);
  EXPECT_TRUE(prepared.count("w_hold_seat_set"));
  EXPECT_TRUE(prepared.count("r_schedule_set"));
  EXPECT_TRUE(prepared.count("r_ticket_types_of_set"));
}

// A batch of one job sends the plain statements: nothing waits for company.
TEST_F(PostgresSetFormTest, ALoneJobSendsPlainStatements) {
  const Schedule schedule = MakeSchedule(2);
  const auto seats = Seats(schedule);
  auto conn = Pipelined();
  std::optional<Money> price;
  ASSERT_TRUE(RunBatch(*conn, {[&](PgWriteTx& tx) {
    ASSERT_TRUE(tx.FindSchedule(schedule.id).has_value());
    price = tx.HoldSeat(seats[0].id, schedule.id, "res_lone");
  }}));
  EXPECT_EQ(price, seats[0].price);
  const auto prepared = PreparedOn(*conn);
  EXPECT_TRUE(prepared.count("w_hold_seat"));
  EXPECT_TRUE(prepared.count("r_schedule"));
  for (const auto& name : prepared) EXPECT_EQ(name.find("_set"), std::string::npos) << name;
}

// Two jobs insert the same reservation id: their set-based insert fails as a whole, the batch
// is abandoned, and every job waiting on that round trip resumes into the abandonment.
TEST_F(PostgresSetFormTest, AFailingSetFormAbandonsTheBatch) {
  const Schedule schedule = MakeSchedule(2);
  const auto seats = Seats(schedule);
  Reservation r;
  r.id = "res_twice";
  r.user_id = "usr_1";
  r.schedule_id = schedule.id;
  r.concert_id = schedule.concert_id;
  r.quantity = 1;
  r.amount = 1'000;
  r.expires_at_ms = kStartMs + 300'000;
  r.created_at_ms = kStartMs;
  r.seat_ids = {seats[0].id};
  int resumed = 0;
  std::vector<std::function<void(PgWriteTx&)>> jobs(2, [&](PgWriteTx& tx) {
    tx.InsertReservation(r);
    (void)tx.FindSeat(seats[1].id);  // sends the inserts, which fail
    ++resumed;
  });
  auto conn = Pipelined();
  std::string sqlstate;
  EXPECT_FALSE(RunBatch(*conn, jobs, &sqlstate));
  EXPECT_EQ(sqlstate, pg::kUniqueViolation);
  EXPECT_EQ(resumed, 0);
  EXPECT_EQ(abandoned_jobs_, 2);
  EXPECT_TRUE(PreparedOn(*conn).count("w_insert_reservation_set"));
  EXPECT_FALSE(store_->Read()->FindReservation("res_twice").has_value());
}

}  // namespace
}  // namespace bo
