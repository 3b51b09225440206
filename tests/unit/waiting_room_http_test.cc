// The waiting room's HTTP pieces without sockets: request decoding, the JSON of a token, the
// rate limiter, and the event streams driven by a manual clock.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "adapters/inprocess/waiting_room.h"
#include "codec/resources.h"
#include "http/decode.h"
#include "http/metrics.h"
#include "http/queue_events.h"
#include "http/rate_limiter.h"
#include "ports/clock.h"

namespace bo {
namespace {

constexpr UnixMs kNow = 1'790'000'000'000;

TEST(DecodeWaitingRoomSettings, ReadsEveryFieldAndNamesTheBadOne) {
  auto s = DecodeWaitingRoomSettings(
      R"({"enabled":true,"admitPerSecond":220,"maxActive":2000,"activeTtlSeconds":300,)"
      R"("opensAt":"2026-12-01T10:00:00Z"})",
      kNow);
  ASSERT_TRUE(s.ok()) << s.error().detail;
  EXPECT_TRUE(s->enabled);
  EXPECT_EQ(s->admit_per_second, 220);
  EXPECT_EQ(s->max_active, 2000);
  EXPECT_EQ(s->active_ttl_seconds, 300);
  EXPECT_EQ(s->opens_at_ms, ParseRfc3339("2026-12-01T10:00:00Z"));
  auto no_opening = DecodeWaitingRoomSettings(
      R"({"enabled":false,"admitPerSecond":1,"maxActive":1,"activeTtlSeconds":1,"opensAt":null})",
      kNow);
  ASSERT_TRUE(no_opening.ok());
  EXPECT_FALSE(no_opening->opens_at_ms.has_value());

  const std::pair<const char*, const char*> bad[] = {
      {R"({"admitPerSecond":1,"maxActive":1,"activeTtlSeconds":1})", "enabled:"},
      {R"({"enabled":1,"admitPerSecond":1,"maxActive":1,"activeTtlSeconds":1})", "enabled:"},
      {R"({"enabled":true,"admitPerSecond":0.5,"maxActive":1,"activeTtlSeconds":1})",
       "admitPerSecond:"},
      {R"({"enabled":true,"admitPerSecond":1,"maxActive":1000001,"activeTtlSeconds":1})",
       "maxActive:"},
      {R"({"enabled":true,"admitPerSecond":1,"maxActive":1})", "activeTtlSeconds:"},
      {R"({"enabled":true,"admitPerSecond":1,"maxActive":1,"activeTtlSeconds":1,"opensAt":"soon"})",
       "opensAt:"},
      {R"({"enabled":true,"admitPerSecond":1,"maxActive":1,"activeTtlSeconds":1,)"
       R"("opensAt":"2099-01-01T00:00:00Z"})",
       "opensAt:"},
      {R"([])", "body:"},
  };
  for (const auto& [body, field] : bad) {
    auto r = DecodeWaitingRoomSettings(body, kNow);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
    EXPECT_EQ(r.error().detail.rfind(field, 0), 0u) << body << " -> " << r.error().detail;
  }
}

TEST(DecodeJoinQueue, NeedsAConcertId) {
  EXPECT_EQ(*DecodeJoinQueue(R"({"concertId":"con_1"})"), "con_1");
  EXPECT_EQ(DecodeJoinQueue(R"({})").error().detail.rfind("concertId:", 0), 0u);
  EXPECT_EQ(DecodeJoinQueue(R"({"concertId":""})").error().detail.rfind("concertId:", 0), 0u);
}

TEST(QueueTokenJson, HasTheFieldsOfTheApi) {
  QueueToken t;
  t.token = "qt_1";
  t.concert_id = "con_1";
  t.status = QueueTokenStatus::kWaiting;
  t.position = 3;
  t.eta_seconds = 2;
  EXPECT_EQ(ToJson(t, &WriteQueueToken),
            R"({"token":"qt_1","concertId":"con_1","status":"WAITING","position":3,)"
            R"("etaSeconds":2,"expiresAt":null,"preQueue":false})");
  t.status = QueueTokenStatus::kActive;
  t.position = 0;
  t.eta_seconds = 0;
  t.expires_at_ms = ParseRfc3339("2026-12-01T10:05:00Z");
  EXPECT_EQ(ToJson(t, &WriteQueueToken),
            R"({"token":"qt_1","concertId":"con_1","status":"ACTIVE","position":0,)"
            R"("etaSeconds":0,"expiresAt":"2026-12-01T10:05:00Z","preQueue":false})");
}

TEST(RateLimiter, AllowsABurstThenOneAtTheRefillRate) {
  RateLimiter limiter(BucketLimits{6, 3}, 100);  // 3 at once, then one every 10 s
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("u1", kNow).allowed);
  auto refused = limiter.Take("u1", kNow);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 10);
  EXPECT_TRUE(limiter.Take("u2", kNow).allowed);  // keys are apart
  EXPECT_EQ(limiter.Take("u1", kNow + 9'000).retry_after_seconds, 1);
  EXPECT_TRUE(limiter.Take("u1", kNow + 10'000).allowed);
  EXPECT_FALSE(limiter.Take("u1", kNow + 10'000).allowed);
}

TEST(RateLimiter, StaysWithinKeysMaxAndFailsClosed) {
  RateLimiter limiter(BucketLimits{60, 1}, 2);
  EXPECT_TRUE(limiter.Take("a", kNow).allowed);
  EXPECT_TRUE(limiter.Take("b", kNow).allowed);
  // Both buckets are empty: a third key cannot be tracked, so it is refused.
  EXPECT_FALSE(limiter.Take("c", kNow).allowed);
  EXPECT_EQ(limiter.keys(), 2u);
  // Once buckets have refilled, their keys are forgotten to make room.
  EXPECT_TRUE(limiter.Take("c", kNow + 2'000).allowed);
  EXPECT_EQ(limiter.keys(), 1u);
}

// A stream that keeps what is written.
class RecordingStream final : public ResponseStream {
 public:
  bool Write(std::string bytes) override {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    writes_.push_back(std::move(bytes));
    return true;
  }
  void Close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  bool is_open() const override {
    std::lock_guard lock(mu_);
    return !closed_;
  }
  std::vector<std::string> writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> writes_;
  bool closed_ = false;
};

class QueueEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WaitingRoomSettings s;
    s.enabled = true;
    s.admit_per_second = 1;
    s.max_active = 1;
    s.active_ttl_seconds = 60;
    ASSERT_TRUE(room_.Configure("con_a", s, clock_.NowMs()).ok());
  }

  QueueToken Join(const std::string& user) {
    return room_.Join("con_a", user, clock_.NowMs())->token;
  }

  void Advance(UnixMs ms) {
    clock_.Advance(ms);
    ASSERT_TRUE(room_.Tick(clock_.NowMs()).ok());
    events_.Publish(clock_.NowMs());
  }

  ManualClock clock_{kNow};
  SeededRandom random_{9};
  inprocess::InProcessWaitingRoom room_{random_};
  Metrics metrics_;
  QueueEvents events_{room_, metrics_, 2};
};

TEST_F(QueueEventsTest, SendsChangesAtMostOnceASecondAndEndsAfterExpired) {
  const QueueToken first = Join("u1");
  const QueueToken mine = Join("u2");
  auto stream = std::make_shared<RecordingStream>();
  events_.Subscribe(mine, stream, clock_.NowMs());
  ASSERT_EQ(stream->writes().size(), 1u);
  EXPECT_EQ(stream->writes()[0], QueueEvents::EventText(mine));
  EXPECT_EQ(stream->writes()[0].rfind("event: token\ndata: {", 0), 0u);

  // u1 is admitted at +1 s: u2 moves to position 1. No event comes sooner than a second after
  // the last one, and then the one that comes shows the change.
  Advance(999);
  EXPECT_EQ(stream->writes().size(), 1u);
  Advance(1);
  ASSERT_EQ(stream->writes().size(), 2u);
  EXPECT_NE(stream->writes()[1].find(R"("position":1)"), std::string::npos);

  // Nothing changes while u1 holds the only slot but the ETA: an event a second at most.
  for (int i = 0; i < 10; ++i) Advance(100);
  EXPECT_LE(stream->writes().size(), 3u);

  ASSERT_TRUE(room_.Leave(first.token, "u1", clock_.NowMs()).ok());
  Advance(1000);
  EXPECT_NE(stream->writes().back().find(R"("status":"ACTIVE")"), std::string::npos);
  ASSERT_TRUE(room_.Leave(mine.token, "u2", clock_.NowMs()).ok());
  Advance(1000);
  EXPECT_NE(stream->writes().back().find(R"("status":"EXPIRED")"), std::string::npos);
  EXPECT_FALSE(stream->is_open());
  EXPECT_EQ(events_.size(), 0u);
}

TEST_F(QueueEventsTest, KeepsQuietStreamsAliveAndDropsClosedOnes) {
  Join("u1");
  Advance(1000);  // u1 ACTIVE for 60 s: its state does not change meanwhile
  auto quiet = std::make_shared<RecordingStream>();
  const QueueToken active = Join("u1");  // the token u1 holds, now ACTIVE
  ASSERT_EQ(active.status, QueueTokenStatus::kActive);
  events_.Subscribe(active, quiet, clock_.NowMs());
  Advance(kKeepAliveMs - 1000);
  EXPECT_EQ(quiet->writes().size(), 1u);
  Advance(1000);
  ASSERT_EQ(quiet->writes().size(), 2u);
  EXPECT_EQ(quiet->writes()[1], ": keep-alive\n\n");

  const QueueToken waiting = Join("u2");
  auto gone = std::make_shared<RecordingStream>();
  events_.Subscribe(waiting, gone, clock_.NowMs());
  EXPECT_EQ(events_.size(), 2u);
  gone->Close();  // the client went away
  Advance(1000);
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(QueueEventsTest, RefusesStreamsBeyondItsMaximum) {
  const QueueToken t = Join("u1");
  auto a = std::make_shared<RecordingStream>();
  auto b = std::make_shared<RecordingStream>();
  auto c = std::make_shared<RecordingStream>();
  events_.Subscribe(t, a, clock_.NowMs());
  events_.Subscribe(t, b, clock_.NowMs());
  EXPECT_TRUE(events_.full());
  events_.Subscribe(t, c, clock_.NowMs());
  EXPECT_FALSE(c->is_open());
  EXPECT_TRUE(c->writes().empty());
  events_.CloseAll();
  EXPECT_FALSE(a->is_open());
  EXPECT_FALSE(b->is_open());
  EXPECT_EQ(events_.size(), 0u);
}

}  // namespace
}  // namespace bo
