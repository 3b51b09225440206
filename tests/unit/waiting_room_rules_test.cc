// The waiting room's rules (domain/waiting_room.h) and the token bucket they meter with.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "domain/token_bucket.h"
#include "domain/waiting_room.h"
#include "ports/random.h"

namespace bo {
namespace {

WaitingRoomSettings Settings(int admit_per_second, int max_active, int ttl_seconds) {
  WaitingRoomSettings s;
  s.enabled = true;
  s.admit_per_second = admit_per_second;
  s.max_active = max_active;
  s.active_ttl_seconds = ttl_seconds;
  return s;
}

TEST(TokenBucket, FillsAtItsRateUpToItsCapacity) {
  const BucketLimits limits{60, 5};  // one a second, five at most
  TokenBucket b{0, 1'000};
  b = FillBucket(b, limits, 1'999);
  EXPECT_EQ(WholeTokens(b), 0);
  b = FillBucket(b, limits, 2'000);
  EXPECT_EQ(WholeTokens(b), 1);
  EXPECT_EQ(b.filled_at_ms, 2'000);
  b = FillBucket(b, limits, 1'000'000'000);
  EXPECT_EQ(WholeTokens(b), 5);
  EXPECT_EQ(b.credit_units, 5 * kBucketUnitsPerToken);
  b = SpendTokens(b, 5);
  EXPECT_EQ(WholeTokens(b), 0);
}

TEST(TokenBucket, AClockSteppingBackAddsNothing) {
  const BucketLimits limits{60, 5};
  TokenBucket b = FillBucket(TokenBucket{0, 10'000}, limits, 12'500);
  EXPECT_EQ(b.credit_units, 2'500 * 60);
  const TokenBucket back = FillBucket(b, limits, 11'000);
  EXPECT_EQ(back.credit_units, b.credit_units);
  EXPECT_EQ(back.filled_at_ms, 12'500);
}

TEST(TokenBucket, ALowerCapacityCapsTheCreditAtOnce) {
  TokenBucket b = FillBucket(TokenBucket{0, 0}, BucketLimits{600, 10}, 60'000);
  EXPECT_EQ(WholeTokens(b), 10);
  b = FillBucket(b, BucketLimits{60, 2}, 60'000);
  EXPECT_EQ(WholeTokens(b), 2);
}

TEST(TokenBucket, LongIdlePeriodsAtTheHighestRateDoNotOverflow) {
  const BucketLimits limits{kBucketPerMinuteMax, kBucketCapacityMax};
  const TokenBucket b = FillBucket(TokenBucket{0, 0}, limits, INT64_MAX / 2);
  EXPECT_EQ(WholeTokens(b), kBucketCapacityMax);
}

TEST(TokenBucket, TellsHowLongUntilItHoldsEnough) {
  const BucketLimits limits{120, 2};  // one every 500 ms
  const TokenBucket b{30'000, 0};     // half a token
  EXPECT_EQ(MsUntilTokens(b, limits, 0), 0);
  EXPECT_EQ(MsUntilTokens(b, limits, 1), 250);
  EXPECT_EQ(MsUntilTokens(b, limits, 3), 1'250);  // the caller spends as it fills
  EXPECT_EQ(WholeTokens(FillBucket(b, limits, 250)), 1);
}

TEST(WaitingRoomSettings, ValidationNamesTheField) {
  const UnixMs now = 1'000'000;
  EXPECT_TRUE(ValidateWaitingRoomSettings(Settings(10, 100, 300), now).ok());
  auto detail = [&](const WaitingRoomSettings& s) {
    auto st = ValidateWaitingRoomSettings(s, now);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidRequest);
    return st.error().detail;
  };
  EXPECT_EQ(detail(Settings(0, 100, 300)).rfind("admitPerSecond:", 0), 0u);
  EXPECT_EQ(detail(Settings(kAdmitPerSecondMax + 1, 100, 300)).rfind("admitPerSecond:", 0), 0u);
  EXPECT_EQ(detail(Settings(10, 0, 300)).rfind("maxActive:", 0), 0u);
  EXPECT_EQ(detail(Settings(10, kMaxActiveMax + 1, 300)).rfind("maxActive:", 0), 0u);
  EXPECT_EQ(detail(Settings(10, 100, 0)).rfind("activeTtlSeconds:", 0), 0u);
  EXPECT_EQ(detail(Settings(10, 100, kActiveTtlSecondsMax + 1)).rfind("activeTtlSeconds:", 0), 0u);
  WaitingRoomSettings far = Settings(10, 100, 300);
  far.opens_at_ms = now + kOpensAtAheadMsMax + 1;
  EXPECT_EQ(detail(far).rfind("opensAt:", 0), 0u);
  WaitingRoomSettings past = Settings(10, 100, 300);
  past.opens_at_ms = now - 86'400'000;
  EXPECT_TRUE(ValidateWaitingRoomSettings(past, now).ok());
}

TEST(WaitingRoomRules, AdmitsNoMoreThanCreditFreeSlotsOrWaiting) {
  const WaitingRoomSettings s = Settings(10, 5, 60);
  const TokenBucket seven{7 * kBucketUnitsPerToken, 0};
  EXPECT_EQ(AdmissionsDue(s, seven, 0, 100), 5);  // free slots
  EXPECT_EQ(AdmissionsDue(s, seven, 3, 100), 2);
  EXPECT_EQ(AdmissionsDue(s, seven, 0, 4), 4);                                       // waiting
  EXPECT_EQ(AdmissionsDue(s, TokenBucket{kBucketUnitsPerToken - 1, 0}, 0, 100), 0);  // credit
  EXPECT_EQ(AdmissionsDue(s, seven, 9, 100), 0);  // over a lowered max_active
  EXPECT_EQ(AdmissionLimits(s).per_minute, 600);
  EXPECT_EQ(AdmissionLimits(s).capacity, 10);
  EXPECT_EQ(ActiveExpiresAt(s, 1'000), 61'000);
}

TEST(WaitingRoomRules, ReleaseRateStartsAtTheTurnoverAndForgets) {
  const WaitingRoomSettings s = Settings(10, 100, 50);
  const ReleaseRate r0 = InitialReleaseRate(s, 0);
  EXPECT_DOUBLE_EQ(r0.per_second, 2.0);
  const UnixMs tau_ms = static_cast<UnixMs>(kReleaseRateTimeConstantSeconds * 1000);
  EXPECT_NEAR(DecayReleaseRate(r0, tau_ms).per_second, 2.0 / std::exp(1.0), 1e-12);
  EXPECT_DOUBLE_EQ(DecayReleaseRate(r0, -5).per_second, 2.0);
  const ReleaseRate r1 = RecordReleases(r0, 3, 0);
  EXPECT_DOUBLE_EQ(r1.per_second, 2.0 + 3 / kReleaseRateTimeConstantSeconds);

  // A steady rate of releases is what the estimate converges to.
  ReleaseRate steady{0, 0};
  for (UnixMs t = 1'000; t <= 600'000; t += 1'000) steady = RecordReleases(steady, 4, t);
  EXPECT_NEAR(steady.per_second, 4.0, 0.1);
}

TEST(WaitingRoomRules, EtaIsTheLaterOfRateAndCapacity) {
  QueueOutlook q;
  q.settings = Settings(10, 100, 60);
  q.bucket = TokenBucket{0, 0};
  q.releases_per_second = 1.0;
  q.now_ms = 0;
  EXPECT_EQ(EtaSeconds(q, 1), 1);   // 100 ms: rounded up
  EXPECT_EQ(EtaSeconds(q, 10), 1);  // exactly 1 s
  EXPECT_EQ(EtaSeconds(q, 11), 2);  // 1.1 s
  EXPECT_EQ(EtaSeconds(q, 100), 10);
  q.bucket = TokenBucket{3 * kBucketUnitsPerToken, 0};
  EXPECT_EQ(EtaSeconds(q, 3), 0);  // admitted at the next round

  // A full room: the 5 ahead and this one need 6 slots freed at 1 a second.
  q.active = 100;
  q.bucket = TokenBucket{0, 0};
  EXPECT_EQ(EtaSeconds(q, 6), 6);
  q.active = 98;  // 2 free slots: 4 to free
  EXPECT_EQ(EtaSeconds(q, 6), 4);
  q.releases_per_second = 0;  // nothing ever leaves: no honest finite estimate
  EXPECT_EQ(EtaSeconds(q, 6), kEtaSecondsMax);
  EXPECT_EQ(EtaSeconds(q, 2), 1);  // fits in the free slots: the rate decides

  // Before the sale opens, the wait until it opens comes first, from an empty bucket.
  q.active = 0;
  q.releases_per_second = 1.0;
  q.opened = false;
  q.settings.opens_at_ms = 30'000;
  q.bucket = TokenBucket{5 * kBucketUnitsPerToken, 0};  // ignored: it starts empty at opening
  EXPECT_EQ(EtaSeconds(q, 20), 32);
}

TEST(WaitingRoomRules, WaitStartsAtJoiningOrAtTheOpening) {
  EXPECT_EQ(WaitedMs(1'000, 500, 4'000), 3'000);
  EXPECT_EQ(WaitedMs(1'000, 2'000, 4'000), 2'000);  // joined the pre-queue before the opening
  EXPECT_EQ(WaitedMs(5'000, 0, 4'000), 0);
}

TEST(WaitingRoomRules, ShuffleIsAPermutationThatVariesWithTheSeed) {
  std::vector<int> items(100);
  std::iota(items.begin(), items.end(), 0);
  SeededRandom a(1), b(2);
  std::vector<int> x = items, y = items;
  ShuffleUniformly(x, [&](std::uint64_t n) { return a.Below(n); });
  ShuffleUniformly(y, [&](std::uint64_t n) { return b.Below(n); });
  EXPECT_NE(x, items);
  EXPECT_NE(x, y);
  std::sort(x.begin(), x.end());
  EXPECT_EQ(x, items);
}

TEST(WaitingRoomRules, ShuffleIsUniformOnSmallLines) {
  // Each of the 6 orders of 3 items comes up about 1/6 of the time.
  SeededRandom random(7);
  std::map<std::vector<int>, int> seen;
  constexpr int kRounds = 60'000;
  for (int i = 0; i < kRounds; ++i) {
    std::vector<int> v{0, 1, 2};
    ShuffleUniformly(v, [&](std::uint64_t n) { return random.Below(n); });
    ++seen[v];
  }
  ASSERT_EQ(seen.size(), 6u);
  for (const auto& [order, count] : seen) EXPECT_NEAR(count, kRounds / 6, kRounds / 60);
}

TEST(WaitingRoomRules, StatusNames) {
  EXPECT_EQ(QueueTokenStatusName(QueueTokenStatus::kWaiting), "WAITING");
  EXPECT_EQ(QueueTokenStatusName(QueueTokenStatus::kActive), "ACTIVE");
  EXPECT_EQ(QueueTokenStatusName(QueueTokenStatus::kExpired), "EXPIRED");
}

}  // namespace
}  // namespace bo
