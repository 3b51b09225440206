// The judgement after a lock-strategy run, on planted counts: it must accept exactly the data
// a correct strategy leaves and name every way an incorrect one can go wrong.
#include "lockbench/consistency.h"

#include <gtest/gtest.h>

#include <string>

namespace bo::lockbench {
namespace {

bool Mentions(const Verdict& verdict, const std::string& text) {
  for (const std::string& problem : verdict.problems) {
    if (problem.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(LockbenchConsistency, CapacityNotReachedEverythingAgrees) {
  const Verdict v = Judge(StoredCounts{1000, 640, 640}, AnsweredCounts{640, 0});
  EXPECT_TRUE(v.consistent);
  EXPECT_TRUE(v.problems.empty());
}

TEST(LockbenchConsistency, SoldOutExactlyAtCapacity) {
  const Verdict v = Judge(StoredCounts{50, 50, 50}, AnsweredCounts{50, 3000});
  EXPECT_TRUE(v.consistent);
}

TEST(LockbenchConsistency, ExactlyCapacityAttemptsNoSoldOut) {
  EXPECT_TRUE(Judge(StoredCounts{50, 50, 50}, AnsweredCounts{50, 0}).consistent);
}

TEST(LockbenchConsistency, ZeroCapacityOnlySoldOut) {
  EXPECT_TRUE(Judge(StoredCounts{0, 0, 0}, AnsweredCounts{0, 12}).consistent);
}

TEST(LockbenchConsistency, NothingAttempted) {
  EXPECT_TRUE(Judge(StoredCounts{50, 0, 0}, AnsweredCounts{0, 0}).consistent);
}

TEST(LockbenchConsistency, OversellOfCounterRowsAndAnswersIsCaught) {
  // Counter, rows and answers agree with each other, but all exceed the capacity.
  const Verdict v = Judge(StoredCounts{50, 53, 53}, AnsweredCounts{53, 900});
  EXPECT_FALSE(v.consistent);
  EXPECT_TRUE(Mentions(v, "oversold: counter 53 > capacity 50"));
  EXPECT_TRUE(Mentions(v, "oversold: 53 purchase rows > capacity 50"));
}

TEST(LockbenchConsistency, MorePurchaseRowsThanCounterIsCaught) {
  // A lost update: two holders of a lapsed lock both wrote sold = 41.
  const Verdict v = Judge(StoredCounts{50, 41, 42}, AnsweredCounts{42, 0});
  EXPECT_FALSE(v.consistent);
  EXPECT_TRUE(Mentions(v, "counter 41 != 42 purchase rows"));
}

TEST(LockbenchConsistency, RowsBeyondCapacityWithCounterAtCapacityIsCaught) {
  const Verdict v = Judge(StoredCounts{50, 50, 51}, AnsweredCounts{51, 10});
  EXPECT_FALSE(v.consistent);
  EXPECT_TRUE(Mentions(v, "51 purchase rows > capacity 50"));
  EXPECT_TRUE(Mentions(v, "counter 50 != 51 purchase rows"));
}

TEST(LockbenchConsistency, PurchaseWrittenButNotAnsweredIsCaught) {
  // An attempt reported as failed had in fact committed.
  const Verdict v = Judge(StoredCounts{1000, 11, 11}, AnsweredCounts{10, 0});
  EXPECT_FALSE(v.consistent);
  EXPECT_TRUE(Mentions(v, "11 purchase rows != 10 purchases answered"));
}

TEST(LockbenchConsistency, PurchaseAnsweredButNotWrittenIsCaught) {
  const Verdict v = Judge(StoredCounts{1000, 9, 9}, AnsweredCounts{10, 0});
  EXPECT_FALSE(v.consistent);
  EXPECT_TRUE(Mentions(v, "9 purchase rows != 10 purchases answered"));
}

TEST(LockbenchConsistency, SoldOutAnsweredWhileUnitsRemainIsCaught) {
  // Undersold: buyers were told "sold out" with 10 units left.
  const Verdict v = Judge(StoredCounts{50, 40, 40}, AnsweredCounts{40, 25});
  EXPECT_FALSE(v.consistent);
  EXPECT_TRUE(Mentions(v, "40 purchases answered != min(capacity 50, 65 answered attempts) = 50"));
}

}  // namespace
}  // namespace bo::lockbench
