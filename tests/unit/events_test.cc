#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/webhook_signature.h"
#include "domain/webhook.h"
#include "events/retry_schedule.h"
#include "http/decode.h"

namespace bo {
namespace {

// The Standard Webhooks reference vector; the expected value was computed independently with
// Python: base64(hmac.new(b64decode(key), b"<id>.<ts>.<body>", sha256).digest()).
TEST(WebhookSignature, MatchesTheStandardWebhooksVector) {
  const auto key = WebhookSecretKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(
      WebhookSignature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, ChangesWithEveryPart) {
  const std::string key(24, 'k');
  const std::string base = WebhookSignature(key, "evt_1", 100, "{}");
  EXPECT_NE(WebhookSignature(key, "evt_2", 100, "{}"), base);
  EXPECT_NE(WebhookSignature(key, "evt_1", 101, "{}"), base);
  EXPECT_NE(WebhookSignature(key, "evt_1", 100, "{ }"), base);
  EXPECT_NE(WebhookSignature(std::string(24, 'j'), "evt_1", 100, "{}"), base);
}

TEST(WebhookSecret, GeneratedSecretsDecodeAndDiffer) {
  const std::string a = NewWebhookSecret();
  const std::string b = NewWebhookSecret();
  EXPECT_NE(a, b);
  ASSERT_TRUE(a.starts_with("whsec_"));
  const auto key = WebhookSecretKey(a);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), kWebhookSecretKeyBytes);
  EXPECT_FALSE(WebhookSecretKey("whsec_!!!").has_value());
  EXPECT_FALSE(WebhookSecretKey("whsec_" + Base64Encode("short")).has_value());
  EXPECT_FALSE(WebhookSecretKey("whsec_" + Base64Encode(std::string(65, 'x'))).has_value());
}

// Always the same bits. REQUIRES (of the value): Random::Below accepts it, as it does 0.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(std::uint64_t v) : v_(v) {}
  std::uint64_t Next() override { return v_; }

 private:
  std::uint64_t v_;
};

TEST(RetrySchedule, CeilingsDoubleFromFiveSecondsUpToOneHour) {
  const RetrySchedule s;
  EXPECT_EQ(BackoffCeilingMs(s, 1), 5'000);
  EXPECT_EQ(BackoffCeilingMs(s, 2), 10'000);
  EXPECT_EQ(BackoffCeilingMs(s, 3), 20'000);
  EXPECT_EQ(BackoffCeilingMs(s, 10), 2'560'000);
  EXPECT_EQ(BackoffCeilingMs(s, 11), 3'600'000);
  EXPECT_EQ(BackoffCeilingMs(s, 900), 3'600'000);
}

TEST(RetrySchedule, FullJitterStaysWithinZeroAndTheCeiling) {
  const RetrySchedule s;
  SeededRandom random(42);
  const UnixMs now = 1'000'000;
  for (int failures = 1; failures <= 20; ++failures) {
    std::int64_t least = INT64_MAX;
    std::int64_t most = 0;
    for (int i = 0; i < 2000; ++i) {
      const UnixMs next = NextAttemptAtMs(s, now, failures, now, random);
      ASSERT_GE(next, now);
      least = std::min(least, next - now);
      most = std::max(most, next - now);
      ASSERT_LE(next - now, BackoffCeilingMs(s, failures));
    }
    // The whole range is used: near 0 and near the ceiling.
    EXPECT_LT(least, BackoffCeilingMs(s, failures) / 20) << failures;
    EXPECT_GT(most, BackoffCeilingMs(s, failures) * 19 / 20) << failures;
  }
  FixedRandom zero(0);
  EXPECT_EQ(NextAttemptAtMs(s, now, 1, now, zero), now);
}

TEST(RetrySchedule, RetriesForAtLeastTheWindowThenGivesUp) {
  const RetrySchedule s;
  SeededRandom random(7);
  const UnixMs created = 5'000'000;
  FixedRandom zero(0);
  UnixMs now = created;
  int failures = 0;
  for (;;) {
    ++failures;
    const UnixMs next = NextAttemptAtMs(s, created, failures, now, random);
    if (next == 0) break;
    now = next;
    ASSERT_LT(failures, s.attempts_max);
  }
  EXPECT_GE(now - created, s.retry_window_ms);
  EXPECT_GT(NextAttemptAtMs(s, created, 1, created + s.retry_window_ms - 1, zero), 0);
  EXPECT_EQ(NextAttemptAtMs(s, created, 1, created + s.retry_window_ms, zero), 0);
  EXPECT_EQ(NextAttemptAtMs(s, created, s.attempts_max, created, zero), 0);
}

TEST(WebhookRules, UrlMustBeHttpOrHttpsWithAHost) {
  EXPECT_TRUE(ValidateWebhookUrl("http://127.0.0.1:9000/hooks").ok());
  EXPECT_TRUE(ValidateWebhookUrl("https://example.com").ok());
  EXPECT_TRUE(ValidateWebhookUrl("https://[::1]:8443/x?y=1").ok());
  for (const char* bad :
       {"", "ftp://example.com", "example.com", "http://", "http:///x", "http://a b",
        "http://h:99999/", "http://h:/", "http://u:p@h/", "http://h/#frag", "http://[::1/"}) {
    auto r = ValidateWebhookUrl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
    EXPECT_TRUE(r.error().detail.starts_with("url:")) << r.error().detail;
  }
  EXPECT_FALSE(ValidateWebhookUrl("http://h/" + std::string(kWebhookUrlBytesMax, 'a')).ok());
}

TEST(WebhookRules, EventsAreKnownTypesOrOneStar) {
  EXPECT_TRUE(ValidateWebhookEventTypes({"*"}).ok());
  EXPECT_TRUE(ValidateWebhookEventTypes({"payment.completed", "reservation.expired"}).ok());
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{},
                                             {"payment.done"},
                                             {"*", "payment.completed"},
                                             {"wallet.charged", "wallet.charged"}}) {
    auto r = ValidateWebhookEventTypes(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().detail.starts_with("events")) << r.error().detail;
  }
}

TEST(WebhookDecode, ReadsUrlEventsAndSecret) {
  auto cmd = DecodeCreateWebhook(
      R"({"url":"http://127.0.0.1:1/h","events":["payment.completed"],"secret":"whsec_x"})");
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(cmd->url, "http://127.0.0.1:1/h");
  EXPECT_EQ(cmd->event_types, std::vector<std::string>{"payment.completed"});
  EXPECT_EQ(cmd->secret, "whsec_x");
  for (const char* bad : {R"({"events":["*"]})", R"({"url":"http://h","events":"*"})",
                          R"({"url":"http://h","events":[1]})", R"({"url":"http://h"})",
                          R"({"url":7,"events":["*"]})", "[]", "not json"}) {
    EXPECT_FALSE(DecodeCreateWebhook(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace bo
