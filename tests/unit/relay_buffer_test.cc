// The relay's buffer of streamed events: positions handed to the publisher, the confirmable
// LSN only once both consumers passed every event a transaction needs, the same row streamed
// twice handed out once, and a new generation voiding what came before.
#include "adapters/postgres_relay/relay_buffer.h"

#include <gtest/gtest.h>

namespace bo::postgres_relay {
namespace {

pg::DecodedTransaction Txn(pg::Lsn end_lsn, std::vector<std::string> ids) {
  pg::DecodedTransaction t;
  t.end_lsn = end_lsn;
  std::int64_t seq = static_cast<std::int64_t>(end_lsn);
  for (auto& id : ids) {
    OutboxEvent e;
    e.seq = seq++;
    e.event.id = std::move(id);
    e.event.type = "wallet.charged";
    t.events.push_back(std::move(e));
  }
  return t;
}

std::vector<std::string> Ids(const std::vector<OutboxEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.event.id);
  return out;
}

TEST(RelayBuffer, ConfirmsATransactionOnlyOnceBothConsumersPassedIt) {
  int saves = 0;
  RelayBuffer b(/*publishing=*/true, 100, [&saves] { ++saves; });
  const auto gen = b.Generation();
  b.Append(Txn(100, {"a", "b"}));
  b.Append(Txn(200, {"c"}));
  EXPECT_EQ(Ids(b.Read(gen, b.LoadPosition(), 10)), (std::vector<std::string>{"a", "b", "c"}));
  const auto events = b.Read(gen, 0, 10);
  std::vector<BufferedEvent> passed;
  EXPECT_EQ(b.TakePassed(&passed, 100), 0u);  // nobody passed anything

  b.SavePosition(gen, events[1].seq);  // JetStream acknowledged a and b
  EXPECT_EQ(saves, 1);
  EXPECT_EQ(b.TakePassed(&passed, 100), 0u);  // not fanned out yet
  const auto fan_out = b.ToFanOut(10);
  ASSERT_EQ(fan_out.size(), 3u);
  EXPECT_EQ(fan_out[0].event.seq, 100);  // the outbox seq travels with the event
  b.FannedOut(fan_out.back().position);
  EXPECT_TRUE(b.ToFanOut(10).empty());
  EXPECT_EQ(b.TakePassed(&passed, 100), 100u);  // the first transaction; c is not acknowledged
  ASSERT_EQ(passed.size(), 2u);
  EXPECT_EQ(passed[1].event.event.id, "b");
  EXPECT_FALSE(b.idle());

  b.SavePosition(gen, events[2].seq);
  passed.clear();
  EXPECT_EQ(b.TakePassed(&passed, 100), 200u);
  EXPECT_EQ(passed.size(), 1u);
  EXPECT_TRUE(b.idle());
}

TEST(RelayBuffer, TakesAtMostTheEventsAskedForAndTheTransactionsTheyComplete) {
  RelayBuffer b(/*publishing=*/false, 100, {});
  b.Append(Txn(100, {"a", "b"}));
  b.Append(Txn(200, {"c"}));
  b.FannedOut(b.ToFanOut(10).back().position);
  std::vector<BufferedEvent> passed;
  EXPECT_EQ(b.TakePassed(&passed, 1), 0u);  // "a" alone completes no transaction
  EXPECT_EQ(passed.size(), 1u);
  EXPECT_EQ(b.TakePassed(&passed, 2), 200u);
  EXPECT_EQ(passed.size(), 3u);
  EXPECT_TRUE(b.idle());
}

TEST(RelayBuffer, WithoutAPublisherTheFanOutAloneConfirms) {
  RelayBuffer b(/*publishing=*/false, 100, {});
  b.Append(Txn(100, {"a"}));
  b.Append(Txn(150, {}));  // a transaction without outbox rows needs what came before
  b.FannedOut(b.ToFanOut(10).back().position);
  std::vector<BufferedEvent> passed;
  EXPECT_EQ(b.TakePassed(&passed, 100), 150u);
}

TEST(RelayBuffer, ARowStreamedTwiceIsHandedOutOnceAndItsTransactionWaitsForTheFirstCopy) {
  RelayBuffer b(/*publishing=*/true, 100, {});
  const auto gen = b.Generation();
  b.Append(Txn(100, {"a"}));
  b.Append(Txn(200, {"a", "b"}));  // a backfill moved "a" again
  b.Append(Txn(200, {"z"}));       // not past the last end LSN: already streamed
  const auto events = b.Read(gen, 0, 10);
  EXPECT_EQ(Ids(events), (std::vector<std::string>{"a", "b"}));
  b.FannedOut(events.back().seq);
  b.SavePosition(gen, events[0].seq);
  std::vector<BufferedEvent> passed;
  EXPECT_EQ(b.TakePassed(&passed, 100), 100u);
  b.SavePosition(gen, events[1].seq);
  EXPECT_EQ(b.TakePassed(&passed, 100), 200u);
}

TEST(RelayBuffer, ANewGenerationVoidsEarlierPositions) {
  RelayBuffer b(/*publishing=*/true, 2, {});
  const auto first = b.Generation();
  b.Append(Txn(100, {"a", "b"}));
  EXPECT_TRUE(b.full());
  const auto old_events = b.Read(first, 0, 10);
  b.Reset();
  const auto second = b.Generation();
  EXPECT_NE(first, second);
  EXPECT_FALSE(b.full());
  EXPECT_TRUE(b.Read(first, 0, 10).empty());
  b.SavePosition(first, old_events.back().seq);        // ignored: another generation
  EXPECT_EQ(b.LoadPosition(), old_events.back().seq);  // positions are never reused
  b.Append(Txn(100, {"a"}));  // the same transaction streamed again by the new session
  const auto again = b.Read(second, b.LoadPosition(), 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_GT(again[0].seq, old_events.back().seq);
}

}  // namespace
}  // namespace bo::postgres_relay
