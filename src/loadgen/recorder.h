// Recorder: what one thread of the load generator observed: the latency of each answered
// operation, how many answers had each HTTP status, and how many operations got no answer.
// Recording never allocates; recorders of different threads merge after the run.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "loadgen/histogram.h"

namespace bo::loadgen {

class Recorder {
 public:
  // An HTTP status has three digits; anything else is counted as 0 or kStatusMax.
  static constexpr int kStatusMax = 999;

  // An answered operation: its latency in microseconds and the HTTP status that ended it.
  void RecordAnswer(std::int64_t latency_us, int status);
  // An operation that ended without an answer (connection refused or reset, timeout, an answer
  // that was not HTTP).
  void RecordError() { ++errors_; }
  // HTTP exchanges made, answered or not; an operation may take several (pay: three).
  void AddHttpRequests(std::int64_t n) { http_requests_ += n; }

  void Merge(const Recorder& other);

  // Answered operations: the sum of status_counts().
  std::int64_t answered() const { return latency_us_.count(); }
  std::int64_t errors() const { return errors_; }
  std::int64_t http_requests() const { return http_requests_; }
  const LatencyHistogram& latency_us() const { return latency_us_; }
  std::int64_t count_of(int status) const;
  // (status, count) for every status seen, in increasing status order.
  std::vector<std::pair<int, std::int64_t>> status_counts() const;

 private:
  LatencyHistogram latency_us_;
  std::array<std::int64_t, kStatusMax + 1> statuses_{};
  std::int64_t errors_ = 0;
  std::int64_t http_requests_ = 0;
};

}  // namespace bo::loadgen
