#include "adapters/postgres/pgoutput.h"

#include <charconv>
#include <cstdio>

namespace bo::pg {

std::string FormatLsn(Lsn lsn) {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xFFFFFFFFu));
  return text;
}

// Reads big-endian integers and NUL-terminated strings off a message, failing (not reading
// past the end) when the message is too short.
class PgOutputDecoder::Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool Byte(char* out) {
    if (pos_ + 1 > bytes_.size()) return false;
    *out = bytes_[pos_++];
    return true;
  }
  template <class T>
  bool Int(T* out) {
    if (pos_ + sizeof(T) > bytes_.size()) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      v = (v << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    }
    pos_ += sizeof(T);
    *out = static_cast<T>(v);
    return true;
  }
  bool String(std::string_view* out) {
    const std::size_t end = bytes_.find('\0', pos_);
    if (end == std::string_view::npos) return false;
    *out = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  bool Bytes(std::size_t n, std::string_view* out) {
    if (n > bytes_.size() - pos_) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view Rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

namespace {

bool Fail(std::string* error, std::string what) {
  *error = std::move(what);
  return false;
}

bool ParseInt64(std::string_view text, std::int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

PgOutputDecoder::PgOutputDecoder(std::string table, PgOutputLimits limits)
    : table_(std::move(table)), limits_(limits) {}

bool PgOutputDecoder::Decode(std::string_view copy_data, Decoded* out, std::string* error) {
  *out = Decoded{};
  Reader r(copy_data);
  char kind = 0;
  if (!r.Byte(&kind)) return Fail(error, "an empty replication message");
  std::uint64_t wal_start = 0, wal_end = 0, send_time = 0;
  if (kind == 'k') {
    char reply = 0;
    if (!r.Int(&wal_end) || !r.Int(&send_time) || !r.Byte(&reply)) {
      return Fail(error, "a truncated keepalive");
    }
    out->kind = Decoded::Kind::kKeepalive;
    out->wal_end = wal_end;
    out->reply_requested = reply != 0;
    return true;
  }
  if (kind != 'w') return Fail(error, std::string("an unknown replication message '") + kind + "'");
  if (!r.Int(&wal_start) || !r.Int(&wal_end) || !r.Int(&send_time)) {
    return Fail(error, "a truncated XLogData header");
  }
  out->wal_end = wal_end;
  return DecodeLogical(r.Rest(), out, error);
}

bool PgOutputDecoder::DecodeLogical(std::string_view message, Decoded* out, std::string* error) {
  Reader r(message);
  char kind = 0;
  if (!r.Byte(&kind)) return Fail(error, "an empty pgoutput message");
  switch (kind) {
    case 'B': {
      std::uint64_t final_lsn = 0, commit_time = 0;
      std::uint32_t xid = 0;
      if (!r.Int(&final_lsn) || !r.Int(&commit_time) || !r.Int(&xid)) {
        return Fail(error, "a truncated Begin");
      }
      if (in_transaction_) return Fail(error, "a Begin inside a transaction");
      in_transaction_ = true;
      transaction_ = DecodedTransaction{};
      return true;
    }
    case 'C': {
      char flags = 0;
      std::uint64_t commit_lsn = 0, end_lsn = 0, commit_time = 0;
      if (!r.Byte(&flags) || !r.Int(&commit_lsn) || !r.Int(&end_lsn) || !r.Int(&commit_time)) {
        return Fail(error, "a truncated Commit");
      }
      if (!in_transaction_) return Fail(error, "a Commit outside a transaction");
      in_transaction_ = false;
      transaction_.end_lsn = end_lsn;
      out->kind = Decoded::Kind::kCommit;
      out->transaction = std::move(transaction_);
      transaction_ = DecodedTransaction{};
      return true;
    }
    case 'R':
      return DecodeRelation(r, error);
    case 'I':
      return DecodeInsert(r, error);
    case 'Y':  // a type's name: only for binary or user-defined types, not needed for text
    case 'O':  // the origin of a replicated transaction
    case 'U':  // updates, deletes, truncates and messages: not published (inserts only) and
    case 'D':  // not needed if a publication changed by hand sends them
    case 'T':
    case 'M':
      return true;
    default:
      return Fail(error, std::string("an unknown pgoutput message '") + kind + "'");
  }
}

bool PgOutputDecoder::DecodeRelation(Reader& r, std::string* error) {
  std::uint32_t id = 0;
  std::string_view schema, name;
  char identity = 0;
  std::uint16_t columns = 0;
  if (!r.Int(&id) || !r.String(&schema) || !r.String(&name) || !r.Byte(&identity) ||
      !r.Int(&columns)) {
    return Fail(error, "a truncated Relation");
  }
  if (columns > limits_.columns_max) return Fail(error, "a Relation with too many columns");
  if (!relations_.contains(id) && relations_.size() >= limits_.relations_max) {
    return Fail(error, "too many relations");
  }
  Relation rel;
  rel.is_outbox = name == table_;
  rel.columns = columns;
  for (int i = 0; i < columns; ++i) {
    char flags = 0;
    std::string_view column;
    std::uint32_t type = 0, modifier = 0;
    if (!r.Byte(&flags) || !r.String(&column) || !r.Int(&type) || !r.Int(&modifier)) {
      return Fail(error, "a truncated Relation column");
    }
    if (column == "seq") rel.seq = i;
    if (column == "id") rel.id = i;
    if (column == "type") rel.type = i;
    if (column == "time_ms") rel.time_ms = i;
    if (column == "data") rel.data = i;
  }
  if (rel.is_outbox &&
      (rel.seq < 0 || rel.id < 0 || rel.type < 0 || rel.time_ms < 0 || rel.data < 0)) {
    return Fail(error, "relation " + table_ + " lacks one of seq, id, type, time_ms, data");
  }
  relations_[id] = rel;
  return true;
}

bool PgOutputDecoder::DecodeInsert(Reader& r, std::string* error) {
  std::uint32_t id = 0;
  char marker = 0;
  std::uint16_t columns = 0;
  if (!r.Int(&id) || !r.Byte(&marker) || !r.Int(&columns)) {
    return Fail(error, "a truncated Insert");
  }
  if (marker != 'N') return Fail(error, "an Insert without a new tuple");
  if (!in_transaction_) return Fail(error, "an Insert outside a transaction");
  const auto found = relations_.find(id);
  if (found == relations_.end()) return Fail(error, "an Insert into an unannounced relation");
  const Relation& rel = found->second;
  if (columns != rel.columns)
    return Fail(error, "an Insert whose columns differ from its Relation");
  std::vector<std::string_view> values(columns);
  std::vector<bool> present(columns, false);
  for (int i = 0; i < columns; ++i) {
    char kind = 0;
    if (!r.Byte(&kind)) return Fail(error, "a truncated tuple");
    if (kind == 'n' || kind == 'u') continue;  // NULL, or an unchanged TOASTed value
    if (kind != 't') return Fail(error, std::string("a tuple value of kind '") + kind + "'");
    std::uint32_t length = 0;
    if (!r.Int(&length) || !r.Bytes(length, &values[i])) {
      return Fail(error, "a truncated tuple value");
    }
    present[i] = true;
  }
  if (!rel.is_outbox) return true;
  if (!present[rel.seq] || !present[rel.id] || !present[rel.type] || !present[rel.time_ms] ||
      !present[rel.data]) {
    return Fail(error, "an outbox row with a NULL column");
  }
  if (transaction_.events.size() >= limits_.events_per_transaction_max) {
    return Fail(error, "a transaction with too many outbox rows");
  }
  OutboxEvent e;
  if (!ParseInt64(values[rel.seq], &e.seq) || !ParseInt64(values[rel.time_ms], &e.event.time_ms)) {
    return Fail(error, "an outbox row whose seq or time_ms is not an integer");
  }
  e.event.id = values[rel.id];
  e.event.type = values[rel.type];
  e.event.data_json = values[rel.data];
  transaction_.events.push_back(std::move(e));
  return true;
}

std::string PgOutputDecoder::StatusUpdate(Lsn written, Lsn flushed, std::int64_t now_us_since_2000,
                                          bool reply_requested) {
  std::string out;
  out.reserve(34);
  out.push_back('r');
  auto put = [&out](std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  };
  put(written);
  put(flushed);
  put(flushed);  // applied: this subscriber applies what it has flushed
  put(static_cast<std::uint64_t>(now_us_since_2000));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

}  // namespace bo::pg
