#include "domain/reservation.h"

#include <gtest/gtest.h>

namespace bo {
namespace {

using S = ReservationStatus;

TEST(ReservationStateMachine, AllowsOnlyItsEdges) {
  const S all[] = {S::kHeld, S::kPaid, S::kExpired, S::kCancelled, S::kRefunded};
  int allowed = 0;
  for (S from : all) {
    for (S to : all) allowed += IsAllowedTransition(from, to);
  }
  EXPECT_EQ(allowed, 4);
  EXPECT_TRUE(IsAllowedTransition(S::kHeld, S::kPaid));
  EXPECT_TRUE(IsAllowedTransition(S::kHeld, S::kExpired));
  EXPECT_TRUE(IsAllowedTransition(S::kHeld, S::kCancelled));
  EXPECT_TRUE(IsAllowedTransition(S::kPaid, S::kRefunded));
  EXPECT_FALSE(IsAllowedTransition(S::kExpired, S::kPaid));
  EXPECT_FALSE(IsAllowedTransition(S::kPaid, S::kExpired));
}

TEST(ReservationStateMachine, NamesRoundTrip) {
  for (S s : {S::kHeld, S::kPaid, S::kExpired, S::kCancelled, S::kRefunded}) {
    EXPECT_EQ(ParseReservationStatus(ReservationStatusName(s)), s);
  }
  EXPECT_FALSE(ParseReservationStatus("held").has_value());
}

TEST(HoldPolicy, ExpiresAfterHoldSecondsAndIsDueExactlyThen) {
  HoldPolicy policy{300};
  Reservation r;
  r.status = S::kHeld;
  r.expires_at_ms = policy.ExpiresAt(1'000);
  EXPECT_EQ(r.expires_at_ms, 301'000);
  EXPECT_FALSE(HoldPolicy::IsDue(r, 300'999));
  EXPECT_TRUE(HoldPolicy::IsDue(r, 301'000));
  r.status = S::kPaid;
  EXPECT_FALSE(HoldPolicy::IsDue(r, 400'000));
}

}  // namespace
}  // namespace bo
