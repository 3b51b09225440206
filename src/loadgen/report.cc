#include "loadgen/report.h"

#include <cmath>
#include <cstdio>

#include "codec/json_writer.h"

namespace bo::loadgen {
namespace {

// `v` with `places` decimals: JsonWriter writes integers only, so decimals go in as raw JSON.
std::string Decimal(double v, int places) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", places, v);
  return buf;
}

std::string Ms(std::int64_t us) { return Decimal(static_cast<double>(us) / 1000.0, 3); }

double Throughput(const RunSummary& s) {
  return s.load.elapsed_seconds > 0
             ? static_cast<double>(s.load.totals.answered()) / s.load.elapsed_seconds
             : 0;
}

struct Percentile {
  const char* json_key;
  const char* label;
  double percentile;
};
constexpr Percentile kPercentiles[] = {
    {"p50", "p50", 50}, {"p90", "p90", 90}, {"p99", "p99", 99}, {"p999", "p99.9", 99.9}};

void WriteLatency(JsonWriter& w, const LatencyHistogram& h) {
  w.Key("latencyMs");
  w.BeginObject();
  for (const auto& p : kPercentiles) {
    w.Key(p.json_key);
    w.Raw(Ms(h.ValueAtPercentile(p.percentile)));
  }
  w.Key("max");
  w.Raw(Ms(h.count() > 0 ? h.max() : 0));
  w.Key("mean");
  w.Raw(Decimal(h.mean() / 1000.0, 3));
  w.EndObject();
}

void WriteStatuses(JsonWriter& w, const Recorder& r) {
  w.Key("statuses");
  w.BeginObject();
  for (const auto& [status, count] : r.status_counts()) w.Field(std::to_string(status), count);
  w.EndObject();
}

std::string LatencyLine(const LatencyHistogram& h) {
  std::string out;
  for (const auto& p : kPercentiles) {
    out += std::string(p.label) + " " + Ms(h.ValueAtPercentile(p.percentile)) + "  ";
  }
  out += "max " + Ms(h.count() > 0 ? h.max() : 0) + "  mean " + Decimal(h.mean() / 1000.0, 3);
  return out;
}

std::string StatusLine(const Recorder& r) {
  std::string out;
  for (const auto& [status, count] : r.status_counts()) {
    if (!out.empty()) out += "  ";
    out += std::to_string(status) + ": " + std::to_string(count);
  }
  return out.empty() ? "none" : out;
}

void Line(std::string& out, const char* label, const std::string& value) {
  char head[32];
  std::snprintf(head, sizeof head, "  %-14s ", label);
  out += head;
  out += value;
  out += '\n';
}

}  // namespace

std::string FormatJson(const RunSummary& s) {
  const Recorder& t = s.load.totals;
  JsonWriter w;
  w.BeginObject();
  w.Field("scenario", s.scenario);
  w.Field("target", s.target);
  w.Field("runId", s.run_id);
  w.Field("mode", s.rate_per_second > 0 ? "open" : "closed");
  w.Field("connections", s.connections);
  w.Field("threads", s.threads);
  w.Key("ratePerSecond");
  if (s.rate_per_second > 0) {
    w.Raw(Decimal(s.rate_per_second, 3));
  } else {
    w.Null();
  }
  w.Key("requestedDurationSeconds");
  w.Raw(Decimal(s.requested_duration_seconds, 3));
  w.Key("durationSeconds");
  w.Raw(Decimal(s.load.elapsed_seconds, 3));
  w.Field("requests", t.answered());
  w.Field("errors", t.errors());
  w.Field("httpRequests", t.http_requests());
  w.Field("scheduled", s.load.scheduled);
  w.Field("unsent", s.load.unsent);
  w.Key("throughputPerSecond");
  w.Raw(Decimal(Throughput(s), 1));
  WriteLatency(w, t.latency_us());
  WriteStatuses(w, t);
  if (!s.steps.empty()) {
    w.Key("steps");
    w.BeginArray();
    for (const auto& step : s.steps) {
      w.BeginObject();
      w.Field("name", step.name);
      w.Field("requests", step.recorder.answered());
      w.Field("errors", step.recorder.errors());
      WriteLatency(w, step.recorder.latency_us());
      WriteStatuses(w, step.recorder);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("setup");
  w.BeginObject();
  for (const auto& f : s.setup) {
    if (f.is_number) {
      w.Field(f.name, f.number);
    } else {
      w.Field(f.name, f.text);
    }
  }
  w.EndObject();
  w.Key("invariantsOk");
  if (s.invariants) {
    w.Bool(s.invariants->ok());
  } else {
    w.Null();
  }
  w.Key("invariants");
  w.BeginArray();
  if (s.invariants) {
    for (const auto& c : s.invariants->checks) {
      w.BeginObject();
      w.Field("name", c.name);
      w.Field("ok", c.ok);
      w.Field("detail", c.detail);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string FormatTable(const RunSummary& s) {
  const Recorder& t = s.load.totals;
  std::string out =
      "boxoffice bench " + s.scenario + " -> " + s.target + " (run " + s.run_id + ")\n";
  std::string mode = s.rate_per_second > 0 ? "open loop at " + Decimal(s.rate_per_second, 1) + "/s"
                                           : std::string("closed loop");
  mode += ", " + std::to_string(s.connections) + " connections, " + std::to_string(s.threads) +
          (s.threads == 1 ? " thread" : " threads");
  Line(out, "mode", mode);
  Line(out, "duration",
       Decimal(s.load.elapsed_seconds, 3) + " s (asked " +
           Decimal(s.requested_duration_seconds, 3) + " s)");
  Line(out, "requests",
       std::to_string(t.answered()) + " answered, " + Decimal(Throughput(s), 1) + "/s; " +
           std::to_string(t.errors()) + " without an answer; " + std::to_string(t.http_requests()) +
           " HTTP requests");
  if (s.rate_per_second > 0) {
    Line(out, "schedule",
         std::to_string(s.load.scheduled) + " scheduled, " + std::to_string(s.load.unsent) +
             " not sent");
  }
  Line(out, "latency ms", LatencyLine(t.latency_us()));
  Line(out, "statuses", StatusLine(t));
  for (const auto& step : s.steps) {
    Line(out, ("step " + step.name).c_str(),
         std::to_string(step.recorder.answered()) + " answered, " +
             std::to_string(step.recorder.errors()) + " errors; " + StatusLine(step.recorder) +
             "; ms " + LatencyLine(step.recorder.latency_us()));
  }
  std::string setup;
  for (const auto& f : s.setup) {
    if (!setup.empty()) setup += "  ";
    setup += f.name + "=" + (f.is_number ? std::to_string(f.number) : f.text);
  }
  if (!setup.empty()) Line(out, "setup", setup);
  if (s.invariants) {
    Line(out, "invariants", s.invariants->ok() ? "all hold" : "VIOLATED");
    for (const auto& c : s.invariants->checks) {
      out += std::string("    ") + (c.ok ? "ok    " : "FAIL  ") + c.name + ": " + c.detail + "\n";
    }
  }
  return out;
}

}  // namespace bo::loadgen
