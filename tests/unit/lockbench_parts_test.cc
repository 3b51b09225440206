// The parts of the lock-strategy experiment that need no server: retry backoff, Redis URLs,
// the JSON report.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "lockbench/backoff.h"
#include "lockbench/redis.h"
#include "lockbench/report.h"

namespace bo::lockbench {
namespace {

TEST(LockbenchBackoff, DoublesFromInitialUpToMaxWithJitterInUpperHalf) {
  std::mt19937_64 rng(7);
  const BackoffPolicy policy{1000, 32000};
  for (int retry = 0; retry < 40; ++retry) {
    const std::int64_t cap =
        std::min<std::int64_t>(32000, std::int64_t{1000} << std::min(retry, 31));
    for (int i = 0; i < 200; ++i) {
      const auto us = BackoffDelay(policy, retry, rng).count();
      ASSERT_GE(us, cap / 2) << "retry " << retry;
      ASSERT_LE(us, cap) << "retry " << retry;
    }
  }
}

TEST(LockbenchBackoff, HugeRetryCountsDoNotOverflow) {
  std::mt19937_64 rng(1);
  const BackoffPolicy policy{1, 10'000'000};
  EXPECT_LE(BackoffDelay(policy, 1'000'000, rng).count(), 10'000'000);
  EXPECT_GE(BackoffDelay(policy, 1'000'000, rng).count(), 5'000'000);
}

TEST(LockbenchRedisUrl, HostPortPasswordDatabase) {
  auto plain = redis::ParseUrl("redis://127.0.0.1:6380");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->password, "");
  EXPECT_EQ(plain->db, 0);

  auto full = redis::ParseUrl("redis://user:s3cret@cache.local:7000/3");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->host, "cache.local");
  EXPECT_EQ(full->port, 7000);
  EXPECT_EQ(full->password, "s3cret");
  EXPECT_EQ(full->db, 3);

  auto default_port = redis::ParseUrl("redis://localhost/");
  ASSERT_TRUE(default_port.ok());
  EXPECT_EQ(default_port->port, 6379);
}

TEST(LockbenchRedisUrl, RejectsWhatIsNotARedisUrl) {
  for (const char* bad : {"http://127.0.0.1:6379", "redis://", "redis://:6379", "redis://h:0",
                          "redis://h:70000", "redis://h:12x", "redis://h:6379/db"}) {
    EXPECT_FALSE(redis::ParseUrl(bad).ok()) << bad;
  }
}

StrategyReport SampleReport(const std::string& name, bool consistent) {
  StrategyReport report;
  report.run.strategy = name;
  report.run.workers = 4;
  report.run.elapsed_seconds = 2.0;
  report.run.attempts = 10;
  report.run.outcomes[static_cast<int>(Outcome::kPurchased)] = 6;
  report.run.outcomes[static_cast<int>(Outcome::kSoldOut)] = 2;
  report.run.outcomes[static_cast<int>(Outcome::kLockTimeout)] = 2;
  for (int us : {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 100000}) {
    report.run.latency_us.Record(us);
  }
  report.run.first_error = "lock not \"acquired\"";
  report.run.counters = {{"batches", 3}};
  report.stored = StoredCounts{6, 6, 6};
  report.verdict.consistent = consistent;
  if (!consistent) report.verdict.problems = {"counter 6 != 7 purchase rows"};
  return report;
}

TEST(LockbenchReport, JsonHasTheDocumentedShape) {
  ReportSettings settings;
  settings.workers = 4;
  settings.duration_seconds = 2;
  settings.capacity = 6;
  settings.server.synchronous_commit = "on";
  const std::string json =
      FormatJson(settings, {SampleReport("atomic", true), SampleReport("batched", false)});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_FALSE(doc["consistent"].get_bool().value());
  simdjson::dom::array strategies = doc["strategies"].get_array().value();
  ASSERT_EQ(strategies.size(), 2u);
  simdjson::dom::element first = strategies.at(0).value();
  EXPECT_EQ(std::string(first["strategy"].get_string().value()), "atomic");
  EXPECT_DOUBLE_EQ(first["throughputPerSecond"].get_double().value(), 5.0);
  EXPECT_DOUBLE_EQ(first["purchasesPerSecond"].get_double().value(), 3.0);
  EXPECT_EQ(first["failures"].get_int64().value(), 2);
  EXPECT_EQ(first["failuresByKind"]["lockTimeouts"].get_int64().value(), 2);
  EXPECT_TRUE(first["consistent"].get_bool().value());
  // The histogram reports a percentile within 1% (the top of the value's slot).
  EXPECT_NEAR(first["latencyMs"]["p50"].get_double().value(), 5.0, 0.05);
  EXPECT_DOUBLE_EQ(first["latencyMs"]["max"].get_double().value(), 100.0);
  EXPECT_GE(first["latencyMs"]["p99"].get_double().value(),
            first["latencyMs"]["p50"].get_double().value());
  EXPECT_EQ(first["counters"]["batches"].get_int64().value(), 3);
  EXPECT_EQ(std::string(first["firstError"].get_string().value()), "lock not \"acquired\"");
  EXPECT_EQ(strategies.at(1).value()["problems"].get_array().value().size(), 1u);
  EXPECT_EQ(std::string(doc["settings"]["postgres"]["synchronousCommit"].get_string().value()),
            "on");
}

TEST(LockbenchReport, TableFlagsAnInconsistentStrategy) {
  const std::string table =
      FormatTable(ReportSettings{}, {SampleReport("atomic", true), SampleReport("batched", false)});
  EXPECT_NE(table.find("INCONSISTENT: counter 6 != 7 purchase rows"), std::string::npos) << table;
  EXPECT_NE(table.find("lockTimeouts 2"), std::string::npos) << table;
}

}  // namespace
}  // namespace bo::lockbench
