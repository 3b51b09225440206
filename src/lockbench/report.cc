#include "lockbench/report.h"

#include <cmath>
#include <cstdio>

#include "codec/json_writer.h"
#include "common/assert.h"

namespace bo::lockbench {
namespace {

// `value` with `places` decimals, as JSON and the table write it.
// REQUIRES: value is finite
std::string Decimal(double value, int places) {
  BO_ASSERT(std::isfinite(value));
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", places, value);
  return text;
}

double PerSecond(std::int64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

double Ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

constexpr Outcome kFailureKinds[] = {Outcome::kError, Outcome::kDeadlock, Outcome::kLockTimeout,
                                     Outcome::kRetriesExhausted};

struct Percentile {
  const char* name;
  double percentile;
};
constexpr Percentile kPercentiles[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}};

void WriteStrategy(JsonWriter& w, const StrategyReport& report) {
  const RunResult& run = report.run;
  w.BeginObject();
  w.Field("strategy", run.strategy);
  w.Field("workers", run.workers);
  w.Key("elapsedSeconds");
  w.Raw(Decimal(run.elapsed_seconds, 3));
  w.Field("attempts", run.attempts);
  w.Key("throughputPerSecond");
  w.Raw(Decimal(PerSecond(run.attempts, run.elapsed_seconds), 1));
  w.Key("purchasesPerSecond");
  w.Raw(Decimal(PerSecond(run.count(Outcome::kPurchased), run.elapsed_seconds), 1));
  w.Field("purchased", run.count(Outcome::kPurchased));
  w.Field("soldOut", run.count(Outcome::kSoldOut));
  w.Field("failures", run.failures());
  w.Key("failuresByKind");
  w.BeginObject();
  for (const Outcome kind : kFailureKinds) w.Field(OutcomeName(kind), run.count(kind));
  w.EndObject();
  w.Field("retries", run.retries);
  w.Key("latencyMs");
  w.BeginObject();
  w.Key("mean");
  w.Raw(Decimal(run.latency_us.mean() / 1000.0, 3));
  for (const Percentile& p : kPercentiles) {
    w.Key(p.name);
    w.Raw(Decimal(Ms(run.latency_us.ValueAtPercentile(p.percentile)), 3));
  }
  w.Key("max");
  w.Raw(Decimal(Ms(run.latency_us.count() > 0 ? run.latency_us.max() : 0), 3));
  w.EndObject();
  w.Field("consistent", report.verdict.consistent);
  w.Key("problems");
  w.BeginArray();
  for (const std::string& problem : report.verdict.problems) w.String(problem);
  w.EndArray();
  w.Key("stored");
  w.BeginObject();
  w.Field("capacity", report.stored.capacity);
  w.Field("sold", report.stored.sold);
  w.Field("purchaseRows", report.stored.purchase_rows);
  w.EndObject();
  w.Key("counters");
  w.BeginObject();
  for (const auto& [name, value] : run.counters) w.Field(name, value);
  w.EndObject();
  w.Field("workersStopped", run.workers_stopped);
  w.NullableField("firstError", run.first_error);
  w.EndObject();
}

}  // namespace

bool AllConsistent(const std::vector<StrategyReport>& reports) {
  for (const StrategyReport& report : reports) {
    if (!report.verdict.consistent) return false;
  }
  return true;
}

std::string FormatJson(const ReportSettings& settings, const std::vector<StrategyReport>& reports) {
  JsonWriter w;
  w.BeginObject();
  w.Key("strategies");
  w.BeginArray();
  for (const StrategyReport& report : reports) WriteStrategy(w, report);
  w.EndArray();
  w.Field("consistent", AllConsistent(reports));
  w.Key("settings");
  w.BeginObject();
  w.Field("workers", settings.workers);
  w.Key("durationSeconds");
  w.Raw(Decimal(settings.duration_seconds, 3));
  w.Field("capacity", settings.capacity);
  w.Field("retryAttemptsMax", settings.retry_attempts_max);
  w.Field("lockWaitMs", settings.lock_wait_ms);
  w.Field("lockTtlMs", settings.lock_ttl_ms);
  w.Field("backoffInitialUs", settings.backoff_initial_us);
  w.Field("backoffMaxUs", settings.backoff_max_us);
  w.Field("batchSizeMax", settings.batch_size_max);
  w.Field("transactionDelayMs", settings.transaction_delay_ms);
  w.Key("postgres");
  w.BeginObject();
  w.Field("serverVersion", settings.server.server_version);
  w.Field("synchronousCommit", settings.server.synchronous_commit);
  w.Field("fsync", settings.server.fsync);
  w.Field("maxConnections", settings.server.max_connections);
  w.Field("defaultTransactionIsolation", settings.server.transaction_isolation);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string FormatTable(const ReportSettings& settings,
                        const std::vector<StrategyReport>& reports) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "lock strategies: %d workers, %s s each, capacity %lld; PostgreSQL %s, "
                "synchronous_commit=%s, fsync=%s\n\n",
                settings.workers, Decimal(settings.duration_seconds, 1).c_str(),
                static_cast<long long>(settings.capacity), settings.server.server_version.c_str(),
                settings.server.synchronous_commit.c_str(), settings.server.fsync.c_str());
  out += line;
  std::snprintf(line, sizeof line, "%-12s %11s %11s %9s %9s %9s %10s %9s %9s  %s\n", "strategy",
                "attempts/s", "purchases/s", "p50 ms", "p99 ms", "max ms", "purchased", "sold out",
                "failures", "consistent");
  out += line;
  for (const StrategyReport& report : reports) {
    const RunResult& run = report.run;
    std::snprintf(
        line, sizeof line, "%-12s %11s %11s %9s %9s %9s %10lld %9lld %9lld  %s\n",
        run.strategy.c_str(), Decimal(PerSecond(run.attempts, run.elapsed_seconds), 1).c_str(),
        Decimal(PerSecond(run.count(Outcome::kPurchased), run.elapsed_seconds), 1).c_str(),
        Decimal(Ms(run.latency_us.ValueAtPercentile(50)), 2).c_str(),
        Decimal(Ms(run.latency_us.ValueAtPercentile(99)), 2).c_str(),
        Decimal(Ms(run.latency_us.count() > 0 ? run.latency_us.max() : 0), 2).c_str(),
        static_cast<long long>(run.count(Outcome::kPurchased)),
        static_cast<long long>(run.count(Outcome::kSoldOut)),
        static_cast<long long>(run.failures()), report.verdict.consistent ? "yes" : "NO");
    out += line;
  }
  bool notes = false;
  auto note = [&](const std::string& strategy, const std::string& text) {
    if (!notes) out += "\n";
    notes = true;
    out += "  " + strategy + ": " + text + "\n";
  };
  for (const StrategyReport& report : reports) {
    const RunResult& run = report.run;
    for (const Outcome kind : kFailureKinds) {
      if (run.count(kind) > 0) {
        note(run.strategy, std::string(OutcomeName(kind)) + " " + std::to_string(run.count(kind)));
      }
    }
    if (run.retries > 0) note(run.strategy, "retries " + std::to_string(run.retries));
    for (const auto& [name, value] : run.counters) {
      note(run.strategy, name + " " + std::to_string(value));
    }
    if (run.workers_stopped > 0) {
      note(run.strategy, std::to_string(run.workers_stopped) + " workers stopped early");
    }
    if (!run.first_error.empty()) note(run.strategy, "first error: " + run.first_error);
    for (const std::string& problem : report.verdict.problems) {
      note(run.strategy, "INCONSISTENT: " + problem);
    }
  }
  out += AllConsistent(reports) ? "\nall strategies consistent\n"
                                : "\nINCONSISTENT: a strategy broke the invariant\n";
  return out;
}

}  // namespace bo::lockbench
