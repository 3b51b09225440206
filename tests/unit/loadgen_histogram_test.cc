#include "loadgen/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

#include "loadgen/recorder.h"

namespace bo::loadgen {
namespace {

// |got - want| <= 1% of want.
void ExpectWithinOnePercent(std::int64_t got, double want) {
  EXPECT_LE(std::abs(static_cast<double>(got) - want), want * 0.01) << got << " vs " << want;
}

TEST(loadgen_LatencyHistogram, PercentilesOfUniformValuesAreWithinOnePercent) {
  LatencyHistogram h;
  for (int v = 1; v <= 10000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 10000);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 10000);
  EXPECT_DOUBLE_EQ(h.mean(), 5000.5);
  ExpectWithinOnePercent(h.ValueAtPercentile(50), 5000);
  ExpectWithinOnePercent(h.ValueAtPercentile(90), 9000);
  ExpectWithinOnePercent(h.ValueAtPercentile(99), 9900);
  ExpectWithinOnePercent(h.ValueAtPercentile(99.9), 9990);
  EXPECT_EQ(h.ValueAtPercentile(100), 10000);  // the max, exactly
  // A percentile never reports less than the true value (it rounds up within the slot).
  EXPECT_GE(h.ValueAtPercentile(50), 5000);
  EXPECT_GE(h.ValueAtPercentile(99.9), 9990);
}

TEST(loadgen_LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 0; v < 256; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 127);  // rank 128 of 256
  EXPECT_EQ(h.ValueAtPercentile(1), 2);     // rank 3
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 255);
}

TEST(loadgen_LatencyHistogram, EverySlotIsNarrowerThanOnePercentOfItsValues) {
  for (std::int64_t v = 0; v <= LatencyHistogram::kValueMax; v = v < 1000 ? v + 1 : v + v / 7) {
    const int slot = LatencyHistogram::SlotOf(v);
    ASSERT_GE(slot, 0);
    ASSERT_LT(slot, LatencyHistogram::slot_count());
    const std::int64_t low = LatencyHistogram::SlotLowest(slot);
    const std::int64_t high = LatencyHistogram::SlotHighest(slot);
    ASSERT_LE(low, v);
    ASSERT_GE(high, v);
    ASSERT_LT(static_cast<double>(high - low), 0.01 * static_cast<double>(low) + 1) << v;
  }
  EXPECT_EQ(LatencyHistogram::SlotOf(LatencyHistogram::kValueMax),
            LatencyHistogram::slot_count() - 1);
  // Slots tile the values: each starts right after the previous one ends.
  for (int slot = 1; slot < LatencyHistogram::slot_count(); ++slot) {
    ASSERT_EQ(LatencyHistogram::SlotLowest(slot), LatencyHistogram::SlotHighest(slot - 1) + 1);
  }
}

TEST(loadgen_LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram all, odd, even;
  for (int v = 1; v <= 100000; v += 7) {
    all.Record(v);
    (v % 2 ? odd : even).Record(v);
  }
  LatencyHistogram merged;
  merged.Merge(odd);
  merged.Merge(even);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.ValueAtPercentile(p), all.ValueAtPercentile(p)) << p;
  }
}

TEST(loadgen_LatencyHistogram, ClampsOutOfRangeValuesAndAnswersZeroWhenEmpty) {
  LatencyHistogram h;
  EXPECT_EQ(h.ValueAtPercentile(50), 0);
  EXPECT_EQ(h.mean(), 0);
  h.Record(-5);
  h.Record(LatencyHistogram::kValueMax * 4);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), LatencyHistogram::kValueMax);
  EXPECT_EQ(h.ValueAtPercentile(100), LatencyHistogram::kValueMax);
}

TEST(loadgen_LatencyHistogram, CopiesAreIndependent) {
  LatencyHistogram a;
  a.Record(10);
  LatencyHistogram b = a;
  b.Record(20);
  EXPECT_EQ(a.count(), 1);
  EXPECT_EQ(b.count(), 2);
  a = b;
  EXPECT_EQ(a.max(), 20);
}

TEST(loadgen_Recorder, StatusesSumToAnsweredAndErrorsStayApart) {
  Recorder r;
  r.RecordAnswer(100, 201);
  r.RecordAnswer(200, 409);
  r.RecordAnswer(300, 409);
  r.RecordError();
  r.AddHttpRequests(4);
  Recorder other;
  other.RecordAnswer(50, 201);
  other.AddHttpRequests(1);
  r.Merge(other);
  EXPECT_EQ(r.answered(), 4);
  EXPECT_EQ(r.errors(), 1);
  EXPECT_EQ(r.http_requests(), 5);
  EXPECT_EQ(r.count_of(201), 2);
  EXPECT_EQ(r.count_of(409), 2);
  const auto counts = r.status_counts();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0], (std::pair<int, std::int64_t>{201, 2}));
  EXPECT_EQ(counts[1], (std::pair<int, std::int64_t>{409, 2}));
}

}  // namespace
}  // namespace bo::loadgen
