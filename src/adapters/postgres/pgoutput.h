// Decodes what a walsender sends on a logical replication connection with the built-in
// pgoutput plugin (protocol version 1, text tuple data): the CopyData messages of the
// streaming replication protocol (XLogData 'w', primary keepalive 'k') and, inside XLogData,
// pgoutput's Begin, Relation, Insert and Commit messages (Type and Origin are read and
// skipped). It turns the inserts into the outbox table between a Begin and its Commit into one
// decoded transaction, with the LSN a subscriber confirms once it is done with it.
//
// The bytes come from the network: anything malformed, truncated, out of order or beyond a
// limit is an error value, never a crash. After an error the decoder must not be used again
// (the replication session is ended and a new decoder starts the next one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ports/event_delivery.h"

namespace bo::pg {

using Lsn = std::uint64_t;

// "16/B374D848", as PostgreSQL writes an LSN.
std::string FormatLsn(Lsn lsn);

struct DecodedTransaction {
  Lsn end_lsn = 0;                  // the end of its commit record: confirm this once done with it
  std::vector<OutboxEvent> events;  // its outbox inserts, in order (seq from the row)
};

struct Decoded {
  enum class Kind { kNothing, kKeepalive, kCommit };
  Kind kind = Kind::kNothing;
  Lsn wal_end = 0;                 // the server's WAL end, as the message states it
  bool reply_requested = false;    // a keepalive asking for a status update at once
  DecodedTransaction transaction;  // kCommit
};

struct PgOutputLimits {
  std::size_t relations_max = 1'000;  // Relation messages remembered
  std::size_t columns_max = 1'600;    // per relation (PostgreSQL's own limit)
  std::size_t events_per_transaction_max = 1'000'000;
};

class PgOutputDecoder {
 public:
  // Inserts into the relation named `table` (any schema) become events; it must have the
  // columns seq, id, type, time_ms and data. Inserts into other relations are ignored.
  explicit PgOutputDecoder(std::string table = "outbox", PgOutputLimits limits = {});

  // Decodes one CopyData message. Returns false and sets *error when it is malformed.
  // REQUIRES: no earlier call returned false.
  bool Decode(std::string_view copy_data, Decoded* out, std::string* error);

  // Whether a Begin was decoded and its Commit not yet.
  bool in_transaction() const { return in_transaction_; }

  // The standby status update ('r') telling the server what is written, flushed and applied.
  static std::string StatusUpdate(Lsn written, Lsn flushed, std::int64_t now_us_since_2000,
                                  bool reply_requested);

 private:
  struct Relation {
    bool is_outbox = false;
    // Column index of seq, id, type, time_ms, data; -1 if missing.
    int seq = -1, id = -1, type = -1, time_ms = -1, data = -1;
    std::size_t columns = 0;
  };
  class Reader;

  bool DecodeLogical(std::string_view message, Decoded* out, std::string* error);
  bool DecodeRelation(Reader& r, std::string* error);
  bool DecodeInsert(Reader& r, std::string* error);

  const std::string table_;
  const PgOutputLimits limits_;
  std::unordered_map<std::uint32_t, Relation> relations_;
  bool in_transaction_ = false;
  DecodedTransaction transaction_;
};

}  // namespace bo::pg
