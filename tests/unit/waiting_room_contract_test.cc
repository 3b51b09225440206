// The WaitingRoom contract (see waiting_room_contract.h), run here for the in-process adapter.
#include "waiting_room_contract.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "adapters/inprocess/waiting_room.h"

namespace bo::testing {

void WaitingRoomContract::SetUp() {
  room_ = GetParam().make(random_);
  if (!room_) GTEST_SKIP() << GetParam().name << " is not available here";
}

void WaitingRoomContract::Configure(const std::string& concert, int admit_per_second,
                                    int max_active, int active_ttl_seconds) {
  WaitingRoomSettings s;
  s.enabled = true;
  s.admit_per_second = admit_per_second;
  s.max_active = max_active;
  s.active_ttl_seconds = active_ttl_seconds;
  Configure(concert, s);
}

void WaitingRoomContract::Configure(const std::string& concert, const WaitingRoomSettings& s) {
  auto r = room_->Configure(concert, s, clock_.NowMs());
  ASSERT_TRUE(r.ok()) << r.error().detail;
}

JoinOutcome WaitingRoomContract::Join(const std::string& concert, const std::string& user) {
  auto r = room_->Join(concert, user, clock_.NowMs());
  EXPECT_TRUE(r.ok()) << r.error().detail;
  return r.ok() ? r.value() : JoinOutcome{};
}

QueueToken WaitingRoomContract::Find(const std::string& token) {
  auto r = room_->Find(token, clock_.NowMs());
  EXPECT_TRUE(r.ok() && r->has_value()) << token;
  return r.ok() && r->has_value() ? **r : QueueToken{};
}

AdmissionRound WaitingRoomContract::Tick() {
  auto r = room_->Tick(clock_.NowMs());
  EXPECT_TRUE(r.ok()) << r.error().detail;
  return r.ok() ? r.value() : AdmissionRound{};
}

std::int64_t WaitingRoomContract::AdvanceTicking(UnixMs ms, UnixMs tick_ms) {
  std::int64_t admitted = 0;
  for (UnixMs done = 0; done < ms;) {
    const UnixMs step = std::min(tick_ms, ms - done);
    clock_.Advance(step);
    done += step;
    admitted += Tick().admitted;
  }
  return admitted;
}

GateVerdict WaitingRoomContract::Pass(const std::string& concert, const std::string& user,
                                      const std::string& token) {
  auto r = room_->Pass(concert, user, token, clock_.NowMs());
  EXPECT_TRUE(r.ok()) << r.error().detail;
  return r.ok() ? r.value() : GateVerdict::kRoomOff;
}

std::int64_t WaitingRoomContract::ActiveCount() {
  auto r = room_->Stats(clock_.NowMs());
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->active : -1;
}

namespace {

std::string User(int i) { return "usr_" + std::to_string(i); }

// A room admitting 1 a second whose sale opens at `opens_at_ms`.
WaitingRoomSettings OpensAt(UnixMs opens_at_ms) {
  WaitingRoomSettings s;
  s.enabled = true;
  s.admit_per_second = 1;
  s.max_active = 1000;
  s.active_ttl_seconds = 600;
  s.opens_at_ms = opens_at_ms;
  return s;
}

TEST_P(WaitingRoomContract, SequentialArrivalsGetPositionsInArrivalOrder) {
  Configure("con_a", 10, 100, 60);
  std::vector<std::string> tokens;
  for (int i = 1; i <= 5; ++i) {
    JoinOutcome j = Join("con_a", User(i));
    EXPECT_TRUE(j.created);
    EXPECT_EQ(j.token.status, QueueTokenStatus::kWaiting);
    EXPECT_EQ(j.token.position, i);
    EXPECT_EQ(j.token.concert_id, "con_a");
    EXPECT_EQ(j.token.user_id, User(i));
    EXPECT_FALSE(j.token.expires_at_ms.has_value());
    EXPECT_FALSE(j.token.in_pre_queue);
    tokens.push_back(j.token.token);
  }
  EXPECT_EQ(std::set<std::string>(tokens.begin(), tokens.end()).size(), 5u);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(Find(tokens[i - 1]).position, i);
}

TEST_P(WaitingRoomContract, OneUserHoldsOnePlacePerConcert) {
  Configure("con_a", 10, 100, 60);
  Configure("con_b", 10, 100, 60);
  Join("con_a", User(1));
  const JoinOutcome first = Join("con_a", User(2));
  for (int again = 0; again < 3; ++again) {
    const JoinOutcome j = Join("con_a", User(2));
    EXPECT_FALSE(j.created);
    EXPECT_EQ(j.token.token, first.token.token);
    EXPECT_EQ(j.token.position, 2);
  }
  const JoinOutcome other = Join("con_b", User(2));
  EXPECT_TRUE(other.created);
  EXPECT_NE(other.token.token, first.token.token);
  EXPECT_EQ(other.token.position, 1);
}

TEST_P(WaitingRoomContract, AdmissionFollowsArrivalOrder) {
  Configure("con_a", 2, 100, 60);
  std::vector<std::string> tokens;
  for (int i = 1; i <= 6; ++i) tokens.push_back(Join("con_a", User(i)).token.token);
  EXPECT_EQ(Tick().admitted, 0);  // the bucket starts empty when the sale opens
  for (int round = 1; round <= 3; ++round) {
    clock_.Advance(1000);
    const AdmissionRound r = Tick();
    EXPECT_EQ(r.admitted, 2);
    ASSERT_EQ(r.waited_ms.size(), 2u);
    EXPECT_EQ(r.waited_ms[0], round * 1000);
    for (int i = 0; i < 6; ++i) {
      const QueueToken t = Find(tokens[i]);
      if (i < 2 * round) {
        EXPECT_EQ(t.status, QueueTokenStatus::kActive) << i;
        EXPECT_EQ(t.position, 0);
        ASSERT_TRUE(t.expires_at_ms.has_value());
      } else {
        EXPECT_EQ(t.status, QueueTokenStatus::kWaiting) << i;
        EXPECT_EQ(t.position, i + 1 - 2 * round);
      }
    }
  }
}

TEST_P(WaitingRoomContract, AdmitsAtMostTheRateOnAverage) {
  Configure("con_a", 5, 1'000'000, 600);
  for (int i = 1; i <= 200; ++i) Join("con_a", User(i));
  // Ticks every 100 ms for 10 s admit exactly 5 a second, half a token's credit at a time.
  EXPECT_EQ(AdvanceTicking(10'000, 100), 50);
  // A long pause fills the bucket to one second's worth only.
  clock_.Advance(60'000);
  EXPECT_EQ(Tick().admitted, 5);
  EXPECT_EQ(AdvanceTicking(2'000, 250), 10);
  EXPECT_EQ(ActiveCount(), 65);
}

TEST_P(WaitingRoomContract, NeverExceedsMaxActiveAndRefillsFreedSlots) {
  Configure("con_a", 100, 3, 60);
  std::vector<std::string> tokens;
  for (int i = 1; i <= 8; ++i) tokens.push_back(Join("con_a", User(i)).token.token);
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(100);
    Tick();
    EXPECT_LE(ActiveCount(), 3);
  }
  EXPECT_EQ(ActiveCount(), 3);
  EXPECT_EQ(Find(tokens[3]).position, 1);

  // A payment frees a slot: the next in line takes it.
  ASSERT_TRUE(room_->End("con_a", User(1), clock_.NowMs()).ok());
  EXPECT_EQ(Find(tokens[0]).status, QueueTokenStatus::kExpired);
  clock_.Advance(100);
  EXPECT_EQ(Tick().admitted, 1);
  EXPECT_EQ(Find(tokens[3]).status, QueueTokenStatus::kActive);
  EXPECT_EQ(ActiveCount(), 3);

  // So does leaving.
  auto left = room_->Leave(tokens[1], User(2), clock_.NowMs());
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->status, QueueTokenStatus::kExpired);
  clock_.Advance(100);
  EXPECT_EQ(Tick().admitted, 1);
  EXPECT_EQ(Find(tokens[4]).status, QueueTokenStatus::kActive);

  // And so does expiry: every ACTIVE token runs out 60 s after its admission.
  clock_.Advance(60'000);
  const AdmissionRound r = Tick();
  EXPECT_EQ(r.expired, 3);
  EXPECT_EQ(r.admitted, 3);
  EXPECT_EQ(ActiveCount(), 3);
  for (int i = 5; i < 8; ++i) EXPECT_EQ(Find(tokens[i]).status, QueueTokenStatus::kActive);
}

TEST_P(WaitingRoomContract, ActiveTokenExpiresUnusedAndEachUseExtendsIt) {
  Configure("con_a", 100, 10, 10);
  const std::string token = Join("con_a", User(1)).token.token;
  clock_.Advance(100);
  Tick();
  const UnixMs admitted_at = clock_.NowMs();
  QueueToken t = Find(token);
  ASSERT_EQ(t.status, QueueTokenStatus::kActive);
  EXPECT_EQ(t.expires_at_ms, admitted_at + 10'000);

  clock_.Advance(6'000);
  EXPECT_EQ(Pass("con_a", User(1), token), GateVerdict::kPassed);
  EXPECT_EQ(Find(token).expires_at_ms, admitted_at + 16'000);
  clock_.Advance(9'999);
  Tick();
  EXPECT_EQ(Find(token).status, QueueTokenStatus::kActive);
  clock_.Advance(1);
  // Due: it reads EXPIRED and cannot pass, even before a round records it.
  EXPECT_EQ(Find(token).status, QueueTokenStatus::kExpired);
  EXPECT_EQ(Pass("con_a", User(1), token), GateVerdict::kTokenNotActive);
  EXPECT_EQ(Tick().expired, 1);
  t = Find(token);
  EXPECT_EQ(t.status, QueueTokenStatus::kExpired);
  EXPECT_EQ(t.expires_at_ms, admitted_at + 16'000);
  EXPECT_EQ(ActiveCount(), 0);

  // An expired token is not a place any more: joining again queues anew.
  const JoinOutcome again = Join("con_a", User(1));
  EXPECT_TRUE(again.created);
  EXPECT_NE(again.token.token, token);
}

TEST_P(WaitingRoomContract, GateRefusesMissingWaitingAndOthersTokens) {
  Configure("con_a", 1, 1, 60);
  Configure("con_b", 100, 100, 60);
  const std::string active = Join("con_a", User(1)).token.token;
  const std::string waiting = Join("con_a", User(2)).token.token;
  const std::string elsewhere = Join("con_b", User(1)).token.token;
  clock_.Advance(1000);
  Tick();
  ASSERT_EQ(Find(active).status, QueueTokenStatus::kActive);
  ASSERT_EQ(Find(elsewhere).status, QueueTokenStatus::kActive);
  ASSERT_EQ(Find(waiting).status, QueueTokenStatus::kWaiting);

  EXPECT_EQ(Pass("con_a", User(1), ""), GateVerdict::kTokenRequired);
  EXPECT_EQ(Pass("con_a", User(2), waiting), GateVerdict::kTokenNotActive);
  EXPECT_EQ(Pass("con_a", User(2), active), GateVerdict::kTokenNotActive);  // another user's
  EXPECT_EQ(Pass("con_a", User(1), elsewhere), GateVerdict::kTokenNotActive);
  EXPECT_EQ(Pass("con_a", User(1), "qt_unknown"), GateVerdict::kTokenNotActive);
  EXPECT_EQ(Pass("con_a", User(1), active), GateVerdict::kPassed);
  EXPECT_EQ(Pass("con_none", User(1), ""), GateVerdict::kRoomOff);

  WaitingRoomSettings off;
  off.enabled = false;
  off.admit_per_second = 1;
  off.max_active = 1;
  off.active_ttl_seconds = 60;
  Configure("con_a", off);
  EXPECT_EQ(Pass("con_a", User(2), ""), GateVerdict::kRoomOff);
  EXPECT_EQ(room_->Join("con_a", User(3), clock_.NowMs()).error().code, ErrorCode::kInvalidState);
  EXPECT_EQ(room_->Join("con_none", User(3), clock_.NowMs()).error().code,
            ErrorCode::kInvalidState);
  // The room keeps its line while off; a waiting token's wait is then unknown.
  EXPECT_EQ(Find(waiting).position, 1);
  EXPECT_EQ(Find(waiting).eta_seconds, kEtaSecondsMax);
}

TEST_P(WaitingRoomContract, PaymentEndsTheTokenAndJoiningAgainQueuesAnew) {
  Configure("con_a", 100, 10, 60);
  const std::string token = Join("con_a", User(1)).token.token;
  clock_.Advance(100);
  Tick();
  ASSERT_EQ(Find(token).status, QueueTokenStatus::kActive);
  clock_.Advance(500);
  auto end = room_->End("con_a", User(1), clock_.NowMs());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(*end);
  const QueueToken ended = Find(token);
  EXPECT_EQ(ended.status, QueueTokenStatus::kExpired);
  EXPECT_EQ(ended.expires_at_ms, clock_.NowMs());
  EXPECT_EQ(Pass("con_a", User(1), token), GateVerdict::kTokenNotActive);
  EXPECT_EQ(ActiveCount(), 0);
  auto again = room_->End("con_a", User(1), clock_.NowMs());  // nothing left to end
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_TRUE(Join("con_a", User(1)).created);
}

TEST_P(WaitingRoomContract, LeavingNeedsTheOwnerAndAnActiveToken) {
  Configure("con_a", 1, 1, 60);
  const std::string first = Join("con_a", User(1)).token.token;
  const std::string second = Join("con_a", User(2)).token.token;
  clock_.Advance(1000);
  Tick();
  EXPECT_EQ(room_->Leave(first, User(2), clock_.NowMs()).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(room_->Leave(second, User(2), clock_.NowMs()).error().code, ErrorCode::kInvalidState);
  EXPECT_EQ(room_->Leave("qt_unknown", User(2), clock_.NowMs()).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(room_->Leave(first, User(1), clock_.NowMs()).ok());
  auto again = room_->Leave(first, User(1), clock_.NowMs());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, QueueTokenStatus::kExpired);
}

TEST_P(WaitingRoomContract, AReadThatOpensTheSaleShowsThePlaceDrawn) {
  Configure("con_a", OpensAt(kStart + 60'000));
  std::vector<std::string> early;
  for (int i = 1; i <= 3; ++i) early.push_back(Join("con_a", User(i)).token.token);
  clock_.Set(kStart + 60'000);
  // The first call after the opening is this read: it draws every place, its own included.
  const QueueToken first = Find(early[0]);
  EXPECT_FALSE(first.in_pre_queue);
  EXPECT_EQ(first.status, QueueTokenStatus::kWaiting);
  EXPECT_GE(first.position, 1);
  EXPECT_LE(first.position, 3);
}

TEST_P(WaitingRoomContract, PreQueueIsShuffledOnceWhenTheSaleOpens) {
  Configure("con_a", OpensAt(kStart + 60'000));
  constexpr int kEarly = 40;
  std::vector<std::string> early;
  for (int i = 1; i <= kEarly; ++i) {
    clock_.Advance(10);
    const JoinOutcome j = Join("con_a", User(i));
    EXPECT_TRUE(j.token.in_pre_queue);
    EXPECT_EQ(j.token.position, i);  // the pre-queue's size: the last place it can draw
    early.push_back(j.token.token);
  }
  EXPECT_EQ(Tick().admitted, 0);
  const QueueToken before = Find(early[0]);
  EXPECT_EQ(before.position, kEarly);
  // The sale opens in (60 s - 400 ms); then the last place waits 40 s at 1 a second.
  EXPECT_EQ(before.eta_seconds, 60 + kEarly);

  clock_.Set(kStart + 60'000);
  const std::string late = Join("con_a", User(1000)).token.token;  // after the opening
  std::vector<std::int64_t> positions;
  for (const auto& t : early) {
    const QueueToken q = Find(t);
    EXPECT_FALSE(q.in_pre_queue);
    positions.push_back(q.position);
  }
  std::vector<std::int64_t> sorted = positions;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> one_to_n(kEarly);
  std::iota(one_to_n.begin(), one_to_n.end(), 1);
  EXPECT_EQ(sorted, one_to_n);     // a permutation of 1..40
  EXPECT_NE(positions, one_to_n);  // not the arrival order (1 chance in 40! of a false alarm)
  EXPECT_EQ(Find(late).position, kEarly + 1);

  // It happens once: later rounds and reads keep every place, shifted by admissions only.
  clock_.Advance(1000);
  EXPECT_EQ(Tick().admitted, 1);
  for (int round = 0; round < 3; ++round) {
    clock_.Advance(100);
    Tick();
    for (size_t i = 0; i < early.size(); ++i) {
      const QueueToken q = Find(early[i]);
      if (positions[i] == 1) {
        EXPECT_EQ(q.status, QueueTokenStatus::kActive);
      } else {
        EXPECT_EQ(q.position, positions[i] - 1);
      }
    }
  }
}

TEST_P(WaitingRoomContract, EtaFollowsTheAdmissionRate) {
  Configure("con_a", 4, 1'000'000, 600);
  std::vector<std::string> tokens;
  for (int i = 1; i <= 20; ++i) {
    const JoinOutcome j = Join("con_a", User(i));
    // Position p needs p admissions' credit at 4 a second from an empty bucket.
    EXPECT_EQ(j.token.eta_seconds, (i + 3) / 4) << i;
    tokens.push_back(j.token.token);
  }
  clock_.Advance(250);
  EXPECT_EQ(Tick().admitted, 1);
  // Position 19 (the 20th) now needs 19 admissions: 4.75 s from an empty bucket.
  EXPECT_EQ(Find(tokens[19]).eta_seconds, 5);
  clock_.Advance(125);                         // half a token's credit
  EXPECT_EQ(Find(tokens[19]).eta_seconds, 5);  // 4.625 s
  EXPECT_EQ(Find(tokens[4]).eta_seconds, 1);   // position 4: 0.875 s
}

TEST_P(WaitingRoomContract, EtaFollowsTheReleaseRateWhenTheRoomIsFull) {
  // A full room of 2 with a TTL of 10 s turns over 0.2 a second until releases are seen.
  Configure("con_a", 100, 2, 10);
  for (int i = 1; i <= 2; ++i) Join("con_a", User(i));
  clock_.Advance(100);
  EXPECT_EQ(Tick().admitted, 2);
  // The estimate has decayed for the 100 ms since the room was configured.
  const double per_second = 0.2 * std::exp(-0.1 / kReleaseRateTimeConstantSeconds);
  const JoinOutcome third = Join("con_a", User(3));
  EXPECT_EQ(third.token.position, 1);
  EXPECT_EQ(third.token.eta_seconds, static_cast<std::int64_t>(std::ceil(1 / per_second)));
  const JoinOutcome fourth = Join("con_a", User(4));
  EXPECT_EQ(fourth.token.eta_seconds, static_cast<std::int64_t>(std::ceil(2 / per_second)));

  // Releases seen raise the estimate of the rate, and the wait shrinks.
  ASSERT_TRUE(room_->End("con_a", User(1), clock_.NowMs()).ok());
  ASSERT_TRUE(room_->End("con_a", User(2), clock_.NowMs()).ok());
  const double raised = per_second + 2 / kReleaseRateTimeConstantSeconds;
  clock_.Advance(100);
  EXPECT_EQ(Tick().admitted, 2);
  const double now_rate = raised * std::exp(-0.1 / kReleaseRateTimeConstantSeconds);
  const JoinOutcome fifth = Join("con_a", User(5));
  EXPECT_EQ(fifth.token.position, 1);
  EXPECT_EQ(fifth.token.eta_seconds, static_cast<std::int64_t>(std::ceil(1 / now_rate)));
}

TEST_P(WaitingRoomContract, UnknownTokensAreNotFound) {
  Configure("con_a", 1, 1, 60);
  auto r = room_->Find("qt_00000000000000000000000000000000", clock_.NowMs());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto many = room_->FindMany({"qt_nope", Join("con_a", User(1)).token.token}, clock_.NowMs());
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 2u);
  EXPECT_FALSE((*many)[0].has_value());
  ASSERT_TRUE((*many)[1].has_value());
  EXPECT_EQ((*many)[1]->position, 1);
}

TEST_P(WaitingRoomContract, EndedTokensAreForgottenAfterTheirRetention) {
  Configure("con_a", 100, 10, 60);
  const std::string token = Join("con_a", User(1)).token.token;
  clock_.Advance(100);
  Tick();
  ASSERT_TRUE(room_->End("con_a", User(1), clock_.NowMs()).ok());
  clock_.Advance(kEndedTokenRetentionMs - 1);
  Tick();
  EXPECT_EQ(Find(token).status, QueueTokenStatus::kExpired);
  clock_.Advance(1);
  Tick();
  auto r = room_->Find(token, clock_.NowMs());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_P(WaitingRoomContract, StatsCountWaitingAndActive) {
  Configure("con_a", 100, 2, 60);
  for (int i = 1; i <= 5; ++i) Join("con_a", User(i));
  clock_.Advance(100);
  Tick();
  auto stats = room_->Stats(clock_.NowMs());
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->rooms_enabled, 1);
  EXPECT_EQ(stats->waiting, 3);
  EXPECT_EQ(stats->active, 2);
  EXPECT_TRUE(room_->MayGate());
}

INSTANTIATE_TEST_SUITE_P(InProcess, WaitingRoomContract,
                         ::testing::Values(WaitingRoomFactory{
                             "InProcess",
                             [](Random& random) -> std::unique_ptr<WaitingRoom> {
                               return std::make_unique<inprocess::InProcessWaitingRoom>(random);
                             }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace bo::testing
