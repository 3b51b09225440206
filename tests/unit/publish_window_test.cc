#include "events/publish_window.h"

#include <gtest/gtest.h>

#include <string>

namespace bo {
namespace {

constexpr int kAckTimeoutMs = 5'000;

WindowEvent Sent(std::int64_t seq, UnixMs at_ms = 1'000) {
  return WindowEvent{seq, "evt_" + std::to_string(seq), at_ms - 10, at_ms, AckState::kPending};
}

std::string Id(std::int64_t seq) { return "evt_" + std::to_string(seq); }

TEST(PublishWindow, InOrderAcksPassEveryEvent) {
  PublishWindow w(8);
  for (int seq = 1; seq <= 3; ++seq) w.Add(Sent(seq));
  for (int seq = 1; seq <= 3; ++seq)
    EXPECT_EQ(w.Record(Id(seq), true), AckRecord::kNewlyAcknowledged);
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), 3);
  EXPECT_TRUE(w.empty());
}

TEST(PublishWindow, OutOfOrderAcksPassOnlyTheAcknowledgedPrefix) {
  PublishWindow w(8);
  for (int seq : {10, 11, 13, 14}) w.Add(Sent(seq));  // seq 12 rolled back: gaps are allowed
  EXPECT_EQ(w.Record(Id(13), true), AckRecord::kNewlyAcknowledged);
  EXPECT_EQ(w.Record(Id(14), true), AckRecord::kNewlyAcknowledged);
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), std::nullopt);  // 10 is still unanswered
  EXPECT_EQ(w.size(), 4u);
  w.Record(Id(11), true);
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), std::nullopt);
  w.Record(Id(10), true);
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), 14);
  EXPECT_TRUE(w.empty());
}

TEST(PublishWindow, AFailureStopsThePrefixAndRestartsOnceItIsFirst) {
  PublishWindow w(8);
  for (int seq = 1; seq <= 5; ++seq) w.Add(Sent(seq));
  w.Record(Id(2), true);
  w.Record(Id(3), false);
  w.Record(Id(4), true);
  w.Record(Id(5), true);
  EXPECT_TRUE(w.has_failure());
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), std::nullopt);
  EXPECT_FALSE(w.MustRestart(1'001, kAckTimeoutMs));  // 1 may still be acknowledged
  w.Record(Id(1), true);
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), 2);  // never past the failed 3
  EXPECT_TRUE(w.MustRestart(1'001, kAckTimeoutMs));
  w.Clear();
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(w.has_failure());
  EXPECT_EQ(w.Record(Id(4), true), AckRecord::kUnknown);  // a late answer after the restart
}

TEST(PublishWindow, AnUnansweredFirstEventRestartsAfterTheAckTimeout) {
  PublishWindow w(4);
  w.Add(Sent(1, 1'000));
  w.Add(Sent(2, 1'500));
  w.Record(Id(2), true);
  EXPECT_EQ(w.AckDeadlineMs(kAckTimeoutMs), 6'000);
  EXPECT_FALSE(w.MustRestart(5'999, kAckTimeoutMs));
  EXPECT_TRUE(w.MustRestart(6'000, kAckTimeoutMs));
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), std::nullopt);
}

TEST(PublishWindow, ALateAcknowledgmentOfAFailedSendWins) {
  PublishWindow w(4);
  w.Add(Sent(1));
  w.Add(Sent(2));
  EXPECT_EQ(w.Record(Id(1), false), AckRecord::kRecorded);
  EXPECT_EQ(w.Record(Id(1), true), AckRecord::kNewlyAcknowledged);  // it was stored after all
  EXPECT_FALSE(w.has_failure());
  EXPECT_EQ(w.Record(Id(1), false), AckRecord::kRecorded);  // stored stays stored
  EXPECT_EQ(w.Record(Id(1), true), AckRecord::kRecorded);   // counted once
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), 1);
  EXPECT_FALSE(w.MustRestart(1'001, kAckTimeoutMs));
  EXPECT_EQ(w.Record(Id(1), true), AckRecord::kUnknown);  // already passed
}

TEST(PublishWindow, FillsUpToItsLimit) {
  PublishWindow w(2);
  w.Add(Sent(1));
  EXPECT_FALSE(w.full());
  w.Add(Sent(2));
  EXPECT_TRUE(w.full());
  w.Record(Id(1), true);
  EXPECT_EQ(w.TakeAcknowledgedPrefix(), 1);
  EXPECT_FALSE(w.full());
}

// Every order of answers over a window, with failures planted, against a direct reading of
// the rule: the cursor stands at the last event of the longest run of acknowledged events
// from the start, and never passes a failed or unanswered one.
TEST(PublishWindow, PlantedAnswersAgreeWithTheRule) {
  constexpr int kEvents = 6;
  for (unsigned mask = 0; mask < (1u << kEvents); ++mask) {                // which events fail
    for (unsigned answered = 0; answered < (1u << kEvents); ++answered) {  // which answered
      PublishWindow w(kEvents);
      for (int i = 1; i <= kEvents; ++i) w.Add(Sent(i));
      for (int i = kEvents; i >= 1; --i) {  // last first: answers out of order
        const unsigned bit = 1u << (i - 1);
        if (answered & bit) w.Record(Id(i), (mask & bit) == 0);
      }
      std::optional<std::int64_t> expected;
      for (int i = 1; i <= kEvents; ++i) {
        const unsigned bit = 1u << (i - 1);
        if (!(answered & bit) || (mask & bit)) break;
        expected = i;
      }
      ASSERT_EQ(w.TakeAcknowledgedPrefix(), expected)
          << "fail " << mask << " answered " << answered;
      const int next = expected.value_or(0) + 1;
      const unsigned next_bit = 1u << (next - 1);
      const bool next_failed = next <= kEvents && (answered & next_bit) && (mask & next_bit);
      ASSERT_EQ(w.MustRestart(1'001, kAckTimeoutMs), next_failed);
    }
  }
}

}  // namespace
}  // namespace bo
