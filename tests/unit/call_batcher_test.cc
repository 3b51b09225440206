// CallBatcher: a lone call goes at once, calls that arrive while in_flight_max batches are out
// wait and go together (at most batch_max each, in arrival order), and past pending_max a call
// is refused and left to its caller.
#include "adapters/redis/call_batcher.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace bo::testing {
namespace {

// Records each batch sent and holds its `finished` until the test releases it.
struct Sent {
  std::vector<std::vector<int>> batches;
  std::vector<std::function<void()>> finish;
};

redis::CallBatcher<int>::Send Recorder(Sent& sent) {
  return [&sent](std::vector<int> batch, std::function<void()> finished) {
    sent.batches.push_back(std::move(batch));
    sent.finish.push_back(std::move(finished));
  };
}

TEST(CallBatcher, ALoneCallIsSentAtOnce) {
  Sent sent;
  redis::CallBatcher<int> batcher({4, 1, 100}, Recorder(sent));
  int call = 7;
  ASSERT_TRUE(batcher.Add(std::move(call)));
  ASSERT_EQ(sent.batches.size(), 1u);
  EXPECT_EQ(sent.batches[0], std::vector<int>{7});
}

TEST(CallBatcher, CallsArrivingWhileBatchesAreOutGoTogetherInOrder) {
  Sent sent;
  redis::CallBatcher<int> batcher({4, 2, 100}, Recorder(sent));
  for (int i = 0; i < 12; ++i) {
    int call = i;
    ASSERT_TRUE(batcher.Add(std::move(call)));
  }
  // Two went alone (two may be out); ten wait.
  ASSERT_EQ(sent.batches.size(), 2u);
  EXPECT_EQ(sent.batches[0], std::vector<int>{0});
  EXPECT_EQ(sent.batches[1], std::vector<int>{1});
  sent.finish[0]();
  ASSERT_EQ(sent.batches.size(), 3u);
  EXPECT_EQ(sent.batches[2], (std::vector<int>{2, 3, 4, 5}));  // at most batch_max
  sent.finish[1]();
  sent.finish[2]();
  ASSERT_EQ(sent.batches.size(), 5u);
  EXPECT_EQ(sent.batches[3], (std::vector<int>{6, 7, 8, 9}));
  EXPECT_EQ(sent.batches[4], (std::vector<int>{10, 11}));
  sent.finish[3]();
  sent.finish[4]();
  EXPECT_EQ(sent.batches.size(), 5u);  // nothing left
}

TEST(CallBatcher, PastPendingMaxACallIsRefusedAndLeftToItsCaller) {
  Sent sent;
  redis::CallBatcher<std::vector<int>> batcher(
      {4, 1, 2}, [&](std::vector<std::vector<int>> batch, std::function<void()> finished) {
        sent.batches.push_back({static_cast<int>(batch.size())});
        sent.finish.push_back(std::move(finished));
      });
  for (int i = 0; i < 3; ++i) {
    std::vector<int> call{i};
    ASSERT_TRUE(batcher.Add(std::move(call)));  // one out, two waiting
  }
  std::vector<int> refused{3};
  EXPECT_FALSE(batcher.Add(std::move(refused)));
  EXPECT_EQ(refused, std::vector<int>{3});
  sent.finish[0]();
  ASSERT_EQ(sent.batches.size(), 2u);
  EXPECT_EQ(sent.batches[1], std::vector<int>{2});
}

TEST(CallBatcher, ABatchFinishedWhileBeingSentLetsTheNextGo) {
  // A sender that answers at once (a full client queue): every call still goes, in batches.
  std::vector<std::vector<int>> batches;
  redis::CallBatcher<int> batcher({2, 1, 100},
                                  [&](std::vector<int> batch, std::function<void()> finished) {
                                    batches.push_back(std::move(batch));
                                    finished();
                                  });
  for (int i = 0; i < 3; ++i) {
    int call = i;
    ASSERT_TRUE(batcher.Add(std::move(call)));
  }
  EXPECT_EQ(batches.size(), 3u);
}

}  // namespace
}  // namespace bo::testing
