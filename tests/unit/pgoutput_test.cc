// The pgoutput decoder against messages built byte by byte as the protocol documents them:
// a committed transaction of outbox inserts becomes one decoded transaction; other relations,
// keepalives and skipped message kinds are read; every truncation and every malformed input is
// an error, never a crash.
#include "adapters/postgres/pgoutput.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bo::pg {
namespace {

class Bytes {
 public:
  Bytes& Byte(char c) {
    s_.push_back(c);
    return *this;
  }
  template <class T>
  Bytes& Int(T v) {
    for (int shift = 8 * static_cast<int>(sizeof(T)) - 8; shift >= 0; shift -= 8) {
      s_.push_back(static_cast<char>(static_cast<std::uint64_t>(v) >> shift));
    }
    return *this;
  }
  Bytes& Str(const std::string& text) {
    s_ += text;
    s_.push_back('\0');
    return *this;
  }
  Bytes& Raw(const std::string& text) {
    s_ += text;
    return *this;
  }
  std::string str() const { return s_; }

 private:
  std::string s_;
};

// XLogData around one pgoutput message.
std::string XLog(const std::string& message, Lsn wal_end = 0x100) {
  return Bytes()
      .Byte('w')
      .Int<std::uint64_t>(0x10)
      .Int<std::uint64_t>(wal_end)
      .Int<std::uint64_t>(0)
      .Raw(message)
      .str();
}

std::string Begin() {
  return Bytes()
      .Byte('B')
      .Int<std::uint64_t>(0x90)
      .Int<std::uint64_t>(0)
      .Int<std::uint32_t>(7)
      .str();
}

std::string Commit(Lsn end_lsn) {
  return Bytes()
      .Byte('C')
      .Byte(0)
      .Int<std::uint64_t>(end_lsn - 8)
      .Int<std::uint64_t>(end_lsn)
      .Int<std::uint64_t>(0)
      .str();
}

// The outbox as the migration defines it (column order as PostgreSQL sends it).
std::string OutboxRelation(std::uint32_t id, const std::string& name = "outbox") {
  Bytes b;
  b.Byte('R').Int(id).Str("public").Str(name).Byte('d').Int<std::uint16_t>(6);
  for (const char* column : {"seq", "id", "type", "time_ms", "data", "delivered_at_ms"}) {
    b.Byte(0).Str(column).Int<std::uint32_t>(25).Int<std::uint32_t>(0xFFFFFFFF);
  }
  return b.str();
}

Bytes& Text(Bytes& b, const std::string& value) {
  return b.Byte('t').Int<std::uint32_t>(static_cast<std::uint32_t>(value.size())).Raw(value);
}

std::string OutboxInsert(std::uint32_t relation, std::int64_t seq, const std::string& id) {
  Bytes b;
  b.Byte('I').Int(relation).Byte('N').Int<std::uint16_t>(6);
  Text(b, std::to_string(seq));
  Text(b, id);
  Text(b, "payment.completed");
  Text(b, "1790000000000");
  Text(b, R"({"id":"pay_1"})");
  b.Byte('n');
  return b.str();
}

std::vector<std::string> OneTransaction() {
  return {XLog(Begin()), XLog(OutboxRelation(16400)), XLog(OutboxInsert(16400, 5, "evt_a")),
          XLog(OutboxInsert(16400, 3, "evt_b")), XLog(Commit(0x2000))};
}

TEST(PgOutput, ACommittedTransactionOfOutboxInsertsIsDecoded) {
  PgOutputDecoder decoder;
  Decoded d;
  std::string error;
  const auto messages = OneTransaction();
  for (size_t i = 0; i + 1 < messages.size(); ++i) {
    ASSERT_TRUE(decoder.Decode(messages[i], &d, &error)) << error;
    EXPECT_EQ(d.kind, Decoded::Kind::kNothing);
    EXPECT_TRUE(decoder.in_transaction());
  }
  ASSERT_TRUE(decoder.Decode(messages.back(), &d, &error)) << error;
  ASSERT_EQ(d.kind, Decoded::Kind::kCommit);
  EXPECT_FALSE(decoder.in_transaction());
  EXPECT_EQ(d.transaction.end_lsn, 0x2000u);
  ASSERT_EQ(d.transaction.events.size(), 2u);
  EXPECT_EQ(d.transaction.events[0].seq, 5);  // stream order, not seq order
  EXPECT_EQ(d.transaction.events[0].event.id, "evt_a");
  EXPECT_EQ(d.transaction.events[0].event.type, "payment.completed");
  EXPECT_EQ(d.transaction.events[0].event.time_ms, 1'790'000'000'000);
  EXPECT_EQ(d.transaction.events[0].event.data_json, R"({"id":"pay_1"})");
  EXPECT_EQ(d.transaction.events[1].seq, 3);
}

TEST(PgOutput, InsertsIntoOtherRelationsAndSkippedKindsAreIgnored) {
  PgOutputDecoder decoder;
  Decoded d;
  std::string error;
  for (const std::string& m :
       {XLog(Begin()), XLog(OutboxRelation(1, "other")), XLog(OutboxInsert(1, 9, "evt_x")),
        XLog(Bytes().Byte('Y').Int<std::uint32_t>(25).Str("pg_catalog").Str("text").str()),
        XLog(Bytes().Byte('O').Int<std::uint64_t>(1).Str("origin").str()), XLog(Commit(0x3000))}) {
    ASSERT_TRUE(decoder.Decode(m, &d, &error)) << error;
  }
  ASSERT_EQ(d.kind, Decoded::Kind::kCommit);
  EXPECT_TRUE(d.transaction.events.empty());
}

TEST(PgOutput, KeepalivesCarryTheServerPositionAndTheReplyRequest) {
  PgOutputDecoder decoder;
  Decoded d;
  std::string error;
  ASSERT_TRUE(decoder.Decode(
      Bytes().Byte('k').Int<std::uint64_t>(0xABCD).Int<std::uint64_t>(0).Byte(1).str(), &d,
      &error));
  EXPECT_EQ(d.kind, Decoded::Kind::kKeepalive);
  EXPECT_EQ(d.wal_end, 0xABCDu);
  EXPECT_TRUE(d.reply_requested);
}

TEST(PgOutput, EveryTruncationIsAnError) {
  for (const std::string& whole : OneTransaction()) {
    for (size_t n = 0; n < whole.size(); ++n) {
      PgOutputDecoder decoder;
      Decoded d;
      std::string error;
      const auto messages = OneTransaction();
      // Everything before this message decodes; this one, cut short, fails.
      size_t i = 0;
      for (; messages[i] != whole; ++i) ASSERT_TRUE(decoder.Decode(messages[i], &d, &error));
      EXPECT_FALSE(decoder.Decode(whole.substr(0, n), &d, &error))
          << "message " << i << " cut at " << n;
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(PgOutput, MessagesOutOfOrderOrMalformedAreErrors) {
  const auto relation = XLog(OutboxRelation(16400));
  const auto insert = XLog(OutboxInsert(16400, 5, "evt_a"));
  struct Case {
    const char* what;
    std::vector<std::string> messages;
  };
  Bytes null_id;
  null_id.Byte('I').Int<std::uint32_t>(16400).Byte('N').Int<std::uint16_t>(6);
  Text(null_id, "5").Byte('n');
  Text(null_id, "t");
  Text(null_id, "1");
  Text(null_id, "{}").Byte('n');
  Bytes bad_seq;
  bad_seq.Byte('I').Int<std::uint32_t>(16400).Byte('N').Int<std::uint16_t>(6);
  Text(bad_seq, "5x");
  Text(bad_seq, "evt");
  Text(bad_seq, "t");
  Text(bad_seq, "1");
  Text(bad_seq, "{}").Byte('n');
  Bytes missing_column;
  missing_column.Byte('R')
      .Int<std::uint32_t>(2)
      .Str("public")
      .Str("outbox")
      .Byte('d')
      .Int<std::uint16_t>(1);
  missing_column.Byte(0).Str("seq").Int<std::uint32_t>(20).Int<std::uint32_t>(0);
  const std::vector<Case> cases = {
      {"insert outside a transaction", {relation, insert}},
      {"commit outside a transaction", {XLog(Commit(0x10))}},
      {"begin inside a transaction", {XLog(Begin()), XLog(Begin())}},
      {"insert into an unannounced relation", {XLog(Begin()), insert}},
      {"an outbox row with a NULL id", {XLog(Begin()), relation, XLog(null_id.str())}},
      {"a seq that is not an integer", {XLog(Begin()), relation, XLog(bad_seq.str())}},
      {"an outbox relation without its columns", {XLog(missing_column.str())}},
      {"an unknown pgoutput message", {XLog("Z")}},
      {"an unknown replication message", {"x"}},
      {"an empty message", {""}},
  };
  for (const auto& c : cases) {
    PgOutputDecoder decoder;
    Decoded d;
    std::string error;
    bool ok = true;
    for (const auto& m : c.messages) {
      ok = decoder.Decode(m, &d, &error);
      if (!ok) break;
    }
    EXPECT_FALSE(ok) << c.what;
    EXPECT_FALSE(error.empty()) << c.what;
  }
}

TEST(PgOutput, LimitsAreErrors) {
  PgOutputLimits limits;
  limits.events_per_transaction_max = 1;
  PgOutputDecoder decoder("outbox", limits);
  Decoded d;
  std::string error;
  ASSERT_TRUE(decoder.Decode(XLog(Begin()), &d, &error));
  ASSERT_TRUE(decoder.Decode(XLog(OutboxRelation(1)), &d, &error));
  ASSERT_TRUE(decoder.Decode(XLog(OutboxInsert(1, 1, "a")), &d, &error));
  EXPECT_FALSE(decoder.Decode(XLog(OutboxInsert(1, 2, "b")), &d, &error));
}

TEST(PgOutput, TheStatusUpdateIsEncodedAsTheProtocolSays) {
  const std::string u = PgOutputDecoder::StatusUpdate(0x0102, 0x0304, 5, false);
  ASSERT_EQ(u.size(), 34u);
  EXPECT_EQ(u[0], 'r');
  EXPECT_EQ(u.substr(1, 8), std::string("\0\0\0\0\0\0\x01\x02", 8));   // written
  EXPECT_EQ(u.substr(9, 8), std::string("\0\0\0\0\0\0\x03\x04", 8));   // flushed
  EXPECT_EQ(u.substr(17, 8), std::string("\0\0\0\0\0\0\x03\x04", 8));  // applied
  EXPECT_EQ(u.substr(25, 8), std::string("\0\0\0\0\0\0\0\x05", 8));
  EXPECT_EQ(u[33], 0);
  EXPECT_EQ(FormatLsn(0x16B374D848ull), "16/B374D848");
}

}  // namespace
}  // namespace bo::pg
