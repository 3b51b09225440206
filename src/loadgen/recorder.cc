#include "loadgen/recorder.h"

#include <algorithm>

namespace bo::loadgen {

void Recorder::RecordAnswer(std::int64_t latency_us, int status) {
  latency_us_.Record(latency_us);
  ++statuses_[static_cast<size_t>(std::clamp(status, 0, kStatusMax))];
}

void Recorder::Merge(const Recorder& other) {
  latency_us_.Merge(other.latency_us_);
  for (size_t i = 0; i < statuses_.size(); ++i) statuses_[i] += other.statuses_[i];
  errors_ += other.errors_;
  http_requests_ += other.http_requests_;
}

std::int64_t Recorder::count_of(int status) const {
  if (status < 0 || status > kStatusMax) return 0;
  return statuses_[static_cast<size_t>(status)];
}

std::vector<std::pair<int, std::int64_t>> Recorder::status_counts() const {
  std::vector<std::pair<int, std::int64_t>> out;
  for (size_t i = 0; i < statuses_.size(); ++i) {
    if (statuses_[i] != 0) out.emplace_back(static_cast<int>(i), statuses_[i]);
  }
  return out;
}

}  // namespace bo::loadgen
