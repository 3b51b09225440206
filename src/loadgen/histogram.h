// LatencyHistogram: counts of non-negative integer values (latencies in microseconds) in
// log-linear buckets, as HdrHistogram does: values below 2^kSubBucketBits are counted exactly;
// above, each power-of-two range is split into 2^(kSubBucketBits-1) equal slots, so a slot is at
// most 1/128 of its lower bound wide and a reported percentile is within 0.8% of the true value.
// Recording is one array increment (no allocation); histograms of different threads merge by
// adding counts.
#pragma once

#include <cstdint>
#include <memory>

namespace bo::loadgen {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 8;
  // The largest value told apart from larger ones: 2^37 - 1 µs is more than 38 hours. Larger
  // values are counted as this one.
  static constexpr std::int64_t kValueMax = (std::int64_t{1} << 37) - 1;

  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram& other);
  LatencyHistogram& operator=(const LatencyHistogram& other);
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;
  ~LatencyHistogram();

  // Counts `value` once. A negative value counts as 0, one above kValueMax as kValueMax.
  void Record(std::int64_t value);

  // Adds every count of `other` to this one, as if its values had been recorded here.
  void Merge(const LatencyHistogram& other);

  std::int64_t count() const { return count_; }
  // REQUIRES: count() > 0 for min() and max(); both are exact.
  std::int64_t min() const { return min_; }
  std::int64_t max() const { return max_; }
  // The mean of the recorded values (after clamping); 0 when there are none.
  double mean() const;

  // Returns the value at `percentile` (0..100]: the smallest value v such that at least
  // percentile% of the recorded values are <= v, rounded up to the highest value of v's slot
  // and clamped to [min(), max()], so ValueAtPercentile(100) == max(). Returns 0 when empty.
  std::int64_t ValueAtPercentile(double percentile) const;

  // The slot layout, for tests: the index of `value`'s slot and the lowest and highest value
  // that slot holds.
  static int SlotOf(std::int64_t value);
  static std::int64_t SlotLowest(int slot);
  static std::int64_t SlotHighest(int slot);
  static int slot_count();

 private:
  std::unique_ptr<std::int64_t[]> counts_;  // slot_count() entries
  std::int64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace bo::loadgen
