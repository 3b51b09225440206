#include "loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "common/assert.h"

namespace bo::loadgen {
namespace {

constexpr int kSubBuckets = 1 << LatencyHistogram::kSubBucketBits;  // slots 0..255: exact
constexpr int kHalf = kSubBuckets / 2;                              // slots per magnitude above
// Magnitudes above the exact range: the one of kValueMax is the last.
constexpr int kMagnitudes =
    std::bit_width(static_cast<std::uint64_t>(LatencyHistogram::kValueMax)) -
    LatencyHistogram::kSubBucketBits;
constexpr int kSlots = kSubBuckets + kMagnitudes * kHalf;

}  // namespace

int LatencyHistogram::slot_count() { return kSlots; }

int LatencyHistogram::SlotOf(std::int64_t value) {
  value = std::clamp<std::int64_t>(value, 0, kValueMax);
  if (value < kSubBuckets) return static_cast<int>(value);
  // Magnitude m >= 1 holds [2^(7+m), 2^(8+m)) in kHalf slots of width 2^m.
  const int magnitude =
      std::bit_width(static_cast<std::uint64_t>(value)) - kSubBucketBits;  // 1..kMagnitudes
  const auto sub = static_cast<int>(value >> magnitude);                   // kHalf..kSubBuckets-1
  return kSubBuckets + (magnitude - 1) * kHalf + (sub - kHalf);
}

std::int64_t LatencyHistogram::SlotLowest(int slot) {
  BO_ASSERT(slot >= 0 && slot < kSlots);
  if (slot < kSubBuckets) return slot;
  const int magnitude = (slot - kSubBuckets) / kHalf + 1;
  const std::int64_t sub = (slot - kSubBuckets) % kHalf + kHalf;
  return sub << magnitude;
}

std::int64_t LatencyHistogram::SlotHighest(int slot) {
  BO_ASSERT(slot >= 0 && slot < kSlots);
  if (slot < kSubBuckets) return slot;
  const int magnitude = (slot - kSubBuckets) / kHalf + 1;
  return SlotLowest(slot) + (std::int64_t{1} << magnitude) - 1;
}

LatencyHistogram::LatencyHistogram() : counts_(new std::int64_t[kSlots]()) {}

LatencyHistogram::LatencyHistogram(const LatencyHistogram& other)
    : counts_(new std::int64_t[kSlots]),
      count_(other.count_),
      min_(other.min_),
      max_(other.max_),
      sum_(other.sum_) {
  std::memcpy(counts_.get(), other.counts_.get(), sizeof(std::int64_t) * kSlots);
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& other) {
  if (this != &other) {
    LatencyHistogram copy(other);
    *this = std::move(copy);
  }
  return *this;
}

LatencyHistogram::~LatencyHistogram() = default;

void LatencyHistogram::Record(std::int64_t value) {
  value = std::clamp<std::int64_t>(value, 0, kValueMax);
  ++counts_[SlotOf(value)];
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  ++count_;
  sum_ += static_cast<double>(value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kSlots; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

std::int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  const double wanted = std::clamp(percentile, 0.0, 100.0) / 100.0 * static_cast<double>(count_);
  // The tolerance keeps 99.9% of 10000 at rank 9990 although the product is 9990.000000000002.
  const auto rank =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wanted * (1 - 1e-12))));
  std::int64_t seen = 0;
  for (int i = 0; i < kSlots; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(SlotHighest(i), min_, max_);
  }
  return max_;
}

}  // namespace bo::loadgen
