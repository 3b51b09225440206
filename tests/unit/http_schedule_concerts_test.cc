// ScheduleConcerts: a schedule's concert is read from the store once, an unknown schedule is
// asked again each time, and past its limit everything is forgotten and read anew.
#include "http/schedule_concerts.h"

#include <gtest/gtest.h>

#include <atomic>

#include "app/catalog.h"
#include "app/submit.h"
#include "crypto/ticket_code.h"
#include "fakes/memory_store.h"
#include "ports/clock.h"
#include "ports/id_generator.h"

namespace bo {
namespace {

// The in-memory store, counting the readers handed out.
class CountingStore final : public Store {
 public:
  void Submit(WriteJob job) override { inner_.Submit(std::move(job)); }
  std::shared_ptr<StoreReader> Read() override {
    ++reads;
    return inner_.Read();
  }
  bool Ping() override { return inner_.Ping(); }
  std::vector<AuditCheck> Audit() override { return inner_.Audit(); }
  StoreStats Stats() override { return inner_.Stats(); }
  void Close() override { inner_.Close(); }

  std::atomic<int> reads{0};

 private:
  testing::MemoryStore inner_;
};

class ScheduleConcertsTest : public ::testing::Test {
 protected:
  // A new concert with one schedule; returns {concert id, schedule id}.
  std::pair<std::string, std::string> NewSchedule() {
    auto concert = RunUseCase<Concert>(store_, [&](WriteTx& tx) {
      return CreateConcert(tx, svc_, CreateConcertCommand{"c", "a", "v"});
    });
    CreateScheduleCommand cmd;
    cmd.concert_id = concert->id;
    cmd.starts_at_ms = clock_.NowMs() + 86'400'000;
    cmd.ticket_types.push_back(TicketTypeSpec{"GA", 500, 10});
    auto schedule =
        RunUseCase<Schedule>(store_, [&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
    return {concert->id, schedule->id};
  }

  CountingStore store_;
  ManualClock clock_{1'790'000'000'000};
  TimeOrderedIdGenerator ids_{clock_};
  TicketCodeSigner signer_{"ticket-key"};
  Services svc_{clock_, ids_, HoldPolicy{300}, signer_};
};

TEST_F(ScheduleConcertsTest, ReadsAScheduleOnceAndAnswersFromMemoryAfter) {
  const auto [concert_id, schedule_id] = NewSchedule();
  ScheduleConcerts concerts;
  const int before = store_.reads.load();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(concerts.Find(store_, schedule_id), concert_id);
  EXPECT_EQ(store_.reads.load() - before, 1);
}

TEST_F(ScheduleConcertsTest, AnUnknownScheduleIsAskedForAgain) {
  ScheduleConcerts concerts;
  EXPECT_EQ(concerts.Find(store_, "sch_missing"), std::nullopt);
  const auto [concert_id, schedule_id] = NewSchedule();
  const int before = store_.reads.load();
  EXPECT_EQ(concerts.Find(store_, schedule_id), concert_id);
  EXPECT_EQ(concerts.Find(store_, "sch_missing"), std::nullopt);
  EXPECT_EQ(store_.reads.load() - before, 2);  // both looked up: neither absence is kept
}

TEST_F(ScheduleConcertsTest, PastItsLimitItForgetsAndReadsAnew) {
  const auto first = NewSchedule(), second = NewSchedule(), third = NewSchedule();
  ScheduleConcerts concerts(2);
  EXPECT_EQ(concerts.Find(store_, first.second), first.first);
  EXPECT_EQ(concerts.Find(store_, second.second), second.first);
  int before = store_.reads.load();
  EXPECT_EQ(concerts.Find(store_, first.second), first.first);
  EXPECT_EQ(store_.reads.load() - before, 0);                   // both remembered
  EXPECT_EQ(concerts.Find(store_, third.second), third.first);  // the limit: all forgotten
  before = store_.reads.load();
  EXPECT_EQ(concerts.Find(store_, third.second), third.first);
  EXPECT_EQ(store_.reads.load() - before, 0);
  EXPECT_EQ(concerts.Find(store_, first.second), first.first);
  EXPECT_EQ(store_.reads.load() - before, 1);
}

}  // namespace
}  // namespace bo
