#include "http/router.h"

#include <gtest/gtest.h>

#include "http/problem.h"
#include "ports/clock.h"
#include "ports/id_generator.h"

namespace bo {
namespace {

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router router;
  int hit = 0;
  router.Add("GET", "/v1/concerts", Access::kPublic, [&](std::shared_ptr<Call>) { hit = 1; });
  router.Add("GET", "/v1/concerts/{id}/schedules", Access::kPublic,
             [&](std::shared_ptr<Call>) { hit = 2; });
  auto m = router.Find("GET", "/v1/concerts/con_1/schedules");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/concerts/{id}/schedules");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "con_1");
  EXPECT_EQ(router.Find("GET", "/v1/concerts").route->pattern, "/v1/concerts");
}

TEST(Router, TellsUnknownPathsFromWrongMethods) {
  Router router;
  router.Add("GET", "/v1/wallet", Access::kUser, [](std::shared_ptr<Call>) {});
  auto wrong_method = router.Find("PUT", "/v1/wallet");
  EXPECT_EQ(wrong_method.route, nullptr);
  EXPECT_TRUE(wrong_method.path_known);
  auto unknown = router.Find("GET", "/v1/nothing");
  EXPECT_EQ(unknown.route, nullptr);
  EXPECT_FALSE(unknown.path_known);
  EXPECT_EQ(router.Find("GET", "/v1/wallet/extra").route, nullptr);
}

TEST(Problem, MapsEveryCodeToTheApiStatus) {
  EXPECT_EQ(HttpStatusOf(ErrorCode::kSeatUnavailable), 409);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kIdempotencyKeyReused), 422);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kIdempotencyKeyRequired), 400);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kPayloadTooLarge), 413);
  EXPECT_EQ(ApiCodeOf(ErrorCode::kInsufficientBalance), "INSUFFICIENT_BALANCE");
  const HttpResponse r = ProblemResponse(MakeError(ErrorCode::kSoldOut, "none left"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(
      r.body,
      R"({"type":"about:blank","title":"Sold out","status":409,"code":"SOLD_OUT","detail":"none left"})");
}

TEST(IdGenerator, IdsSortByCreationEvenWithinOneMillisecond) {
  ManualClock clock(1'790'000'000'000);
  TimeOrderedIdGenerator ids(clock);
  std::string previous = ids.Next("res");
  for (int i = 0; i < 1000; ++i) {
    if (i == 500) clock.Advance(-5);  // a clock step backwards must not reorder ids
    const std::string next = ids.Next("res");
    EXPECT_LT(previous, next);
    previous = next;
  }
  EXPECT_EQ(previous.size(), 4u + 16u + 8u);
}

TEST(IdGenerator, InstancesNeverMakeTheSameIdInOneMillisecond) {
  ManualClock clock(1'790'000'000'000);
  TimeOrderedIdGenerator a(clock, 1), b(clock, 2);
  for (int i = 0; i < 100; ++i) EXPECT_NE(a.Next("res"), b.Next("res"));
  // And each sorts after what either made in an earlier millisecond.
  const std::string before = a.Next("res");
  clock.Advance(1);
  EXPECT_LT(before, b.Next("res"));
}

}  // namespace
}  // namespace bo
