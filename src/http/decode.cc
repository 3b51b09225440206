#include "http/decode.h"

#include <simdjson.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "crypto/encoding.h"
#include "domain/webhook.h"

namespace bo {
namespace {

Error Invalid(std::string detail) {
  return MakeError(ErrorCode::kInvalidRequest, std::move(detail));
}

// A parsed JSON object body. Field accessors return a kInvalidRequest naming the field.
// REQUIRES: a Body is done with before the next Parse on its thread (they share the thread's
// parser, which a new one would allocate for every request).
class Body {
 public:
  static Result<Body> Parse(std::string_view text) {
    thread_local simdjson::dom::parser parser;
    Body b;
    simdjson::dom::element root;
    if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
      return Invalid("body: not valid JSON (or a number beyond 64 bits)");
    }
    if (root.get(b.object_) != simdjson::SUCCESS) return Invalid("body: must be a JSON object");
    return b;
  }

  bool Has(const char* field) const {
    simdjson::dom::element e;
    return object_[field].get(e) == simdjson::SUCCESS && !e.is_null();
  }

  Result<simdjson::dom::element> Element(const char* field) const {
    simdjson::dom::element e;
    if (object_[field].get(e) != simdjson::SUCCESS || e.is_null()) {
      return Invalid(std::string(field) + ": is required");
    }
    return e;
  }

  const simdjson::dom::object& object() const { return object_; }

 private:
  simdjson::dom::object object_;
};

bool IsValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

Result<std::string> StringOf(simdjson::dom::element e, const std::string& name, size_t min_bytes,
                             size_t max_bytes) {
  std::string_view v;
  if (e.get(v) != simdjson::SUCCESS) return Invalid(name + ": must be a string");
  if (v.size() < min_bytes || v.size() > max_bytes) {
    return Invalid(name + ": must be " + std::to_string(min_bytes) + " to " +
                   std::to_string(max_bytes) + " bytes long");
  }
  for (const char c : v) {
    if (static_cast<unsigned char>(c) < 0x20)
      return Invalid(name + ": contains a control character");
  }
  return std::string(v);
}

Result<std::int64_t> IntOf(simdjson::dom::element e, const std::string& name, std::int64_t min,
                           std::int64_t max) {
  std::int64_t v;
  if (e.get(v) != simdjson::SUCCESS) {
    return Invalid(name + ": must be an integer");
  }
  if (v < min || v > max) {
    return Invalid(name + ": must be between " + std::to_string(min) + " and " +
                   std::to_string(max));
  }
  return v;
}

Result<std::string> StringField(const Body& b, const char* field, size_t min_bytes,
                                size_t max_bytes) {
  auto e = b.Element(field);
  if (!e.ok()) return e.error();
  return StringOf(*e, field, min_bytes, max_bytes);
}

Result<std::int64_t> IntField(const Body& b, const char* field, std::int64_t min,
                              std::int64_t max) {
  auto e = b.Element(field);
  if (!e.ok()) return e.error();
  return IntOf(*e, field, min, max);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A seat's row may be given as a string ("A") or a number (7).
Result<std::string> RowOf(simdjson::dom::element e, const std::string& name) {
  std::int64_t n;
  if (e.get(n) == simdjson::SUCCESS) {
    if (n < 0 || n > kSeatNumberMax) return Invalid(name + ": out of range");
    return std::to_string(n);
  }
  return StringOf(e, name, 1, kCatalogTextBytesMax);
}

#define BO_TRY(var, expr)                              \
  auto var##_result = (expr);                          \
  if (!var##_result.ok()) return var##_result.error(); \
  auto var = std::move(var##_result).value()

Status DecodeSeats(const simdjson::dom::array& seats, CreateScheduleCommand& cmd) {
  if (seats.size() > static_cast<size_t>(kSeatsPerScheduleMax)) {
    return Invalid("seats: at most " + std::to_string(kSeatsPerScheduleMax) + " seats");
  }
  size_t i = 0;
  for (simdjson::dom::element e : seats) {
    const std::string at = "seats[" + std::to_string(i++) + "]";
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) return Invalid(at + ": must be an object");
    SeatSpec s;
    simdjson::dom::element f;
    if (o["section"].get(f) != simdjson::SUCCESS) return Invalid(at + ".section: is required");
    BO_TRY(section, StringOf(f, at + ".section", 1, kCatalogTextBytesMax));
    if (o["row"].get(f) != simdjson::SUCCESS) return Invalid(at + ".row: is required");
    BO_TRY(row, RowOf(f, at + ".row"));
    if (o["number"].get(f) != simdjson::SUCCESS) return Invalid(at + ".number: is required");
    BO_TRY(number, IntOf(f, at + ".number", 0, kSeatNumberMax));
    if (o["grade"].get(f) != simdjson::SUCCESS) return Invalid(at + ".grade: is required");
    BO_TRY(grade, StringOf(f, at + ".grade", 1, kCatalogTextBytesMax));
    if (o["price"].get(f) != simdjson::SUCCESS) return Invalid(at + ".price: is required");
    BO_TRY(price, IntOf(f, at + ".price", 0, kPriceMax));
    cmd.seats.push_back(SeatSpec{section, row, static_cast<int>(number), grade, price});
  }
  return Ok();
}

Status DecodeSeatRows(simdjson::dom::element e, CreateScheduleCommand& cmd) {
  simdjson::dom::object o;
  if (e.get(o) != simdjson::SUCCESS) return Invalid("seatRows: must be an object");
  simdjson::dom::element f;
  simdjson::dom::array sections;
  if (o["sections"].get(f) != simdjson::SUCCESS || f.get(sections) != simdjson::SUCCESS ||
      sections.size() == 0 || sections.size() > 100) {
    return Invalid("seatRows.sections: must be an array of 1 to 100 names");
  }
  if (o["rows"].get(f) != simdjson::SUCCESS) return Invalid("seatRows.rows: is required");
  BO_TRY(rows, IntOf(f, "seatRows.rows", 1, 1000));
  if (o["perRow"].get(f) != simdjson::SUCCESS) return Invalid("seatRows.perRow: is required");
  BO_TRY(per_row, IntOf(f, "seatRows.perRow", 1, 1000));
  if (o["grade"].get(f) != simdjson::SUCCESS) return Invalid("seatRows.grade: is required");
  BO_TRY(grade, StringOf(f, "seatRows.grade", 1, kCatalogTextBytesMax));
  if (o["price"].get(f) != simdjson::SUCCESS) return Invalid("seatRows.price: is required");
  BO_TRY(price, IntOf(f, "seatRows.price", 0, kPriceMax));
  const std::int64_t total = static_cast<std::int64_t>(sections.size()) * rows * per_row;
  if (total + static_cast<std::int64_t>(cmd.seats.size()) > kSeatsPerScheduleMax) {
    return Invalid("seatRows: at most " + std::to_string(kSeatsPerScheduleMax) +
                   " seats per schedule");
  }
  size_t i = 0;
  for (simdjson::dom::element s : sections) {
    BO_TRY(section,
           StringOf(s, "seatRows.sections[" + std::to_string(i++) + "]", 1, kCatalogTextBytesMax));
    for (std::int64_t r = 1; r <= rows; ++r) {
      for (std::int64_t n = 1; n <= per_row; ++n) {
        cmd.seats.push_back(
            SeatSpec{section, std::to_string(r), static_cast<int>(n), grade, price});
      }
    }
  }
  return Ok();
}

Status DecodeTicketTypes(const simdjson::dom::array& types, CreateScheduleCommand& cmd) {
  if (types.size() > static_cast<size_t>(kTicketTypesPerScheduleMax)) {
    return Invalid("ticketTypes: at most " + std::to_string(kTicketTypesPerScheduleMax));
  }
  size_t i = 0;
  for (simdjson::dom::element e : types) {
    const std::string at = "ticketTypes[" + std::to_string(i++) + "]";
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) return Invalid(at + ": must be an object");
    simdjson::dom::element f;
    if (o["name"].get(f) != simdjson::SUCCESS) return Invalid(at + ".name: is required");
    BO_TRY(name, StringOf(f, at + ".name", 1, kCatalogTextBytesMax));
    if (o["price"].get(f) != simdjson::SUCCESS) return Invalid(at + ".price: is required");
    BO_TRY(price, IntOf(f, at + ".price", 0, kPriceMax));
    if (o["capacity"].get(f) != simdjson::SUCCESS) return Invalid(at + ".capacity: is required");
    BO_TRY(capacity, IntOf(f, at + ".capacity", 0, kTicketCapacityMax));
    cmd.ticket_types.push_back(TicketTypeSpec{name, price, static_cast<int>(capacity)});
  }
  return Ok();
}

Result<bool> BoolField(const Body& b, const char* field) {
  auto e = b.Element(field);
  if (!e.ok()) return e.error();
  bool v = false;
  if (e->get(v) != simdjson::SUCCESS)
    return Invalid(std::string(field) + ": must be true or false");
  return v;
}

Result<simdjson::dom::array> ArrayField(const Body& b, const char* field) {
  auto e = b.Element(field);
  if (!e.ok()) return e.error();
  simdjson::dom::array a;
  if (e->get(a) != simdjson::SUCCESS) return Invalid(std::string(field) + ": must be an array");
  return a;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<SignUpInput> DecodeSignUp(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  BO_TRY(email, StringField(b, "email", 3, kEmailBytesMax));
  email = Lower(std::move(email));
  if (!IsPlausibleEmail(email)) return Invalid("email: is not an email address");
  BO_TRY(password, StringField(b, "password", kPasswordBytesMin, kPasswordBytesMax));
  BO_TRY(name, StringField(b, "name", 1, kUserNameBytesMax));
  return SignUpInput{email, password, name};
}

Result<LogInInput> DecodeLogIn(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  BO_TRY(email, StringField(b, "email", 1, kEmailBytesMax));
  BO_TRY(password, StringField(b, "password", 1, kPasswordBytesMax));
  return LogInInput{Lower(std::move(email)), password};
}

Result<CreateConcertCommand> DecodeCreateConcert(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  BO_TRY(name, StringField(b, "name", 1, kCatalogTextBytesMax));
  BO_TRY(artist, StringField(b, "artist", 1, kCatalogTextBytesMax));
  BO_TRY(venue, StringField(b, "venue", 1, kCatalogTextBytesMax));
  return CreateConcertCommand{name, artist, venue};
}

Result<CreateScheduleCommand> DecodeCreateSchedule(std::string_view text,
                                                   std::string_view concert_id) {
  BO_TRY(b, Body::Parse(text));
  CreateScheduleCommand cmd;
  cmd.concert_id = std::string(concert_id);
  BO_TRY(starts_at, StringField(b, "startsAt", 1, 64));
  const auto starts_at_ms = ParseRfc3339(starts_at);
  if (!starts_at_ms) return Invalid("startsAt: must be an RFC 3339 date-time");
  cmd.starts_at_ms = *starts_at_ms;
  if (b.Has("seats") && b.Has("seatRows")) {
    return Invalid("seatRows: replaces seats; give one of them");
  }
  if (b.Has("seats")) {
    BO_TRY(seats, ArrayField(b, "seats"));
    auto st = DecodeSeats(seats, cmd);
    if (!st.ok()) return st.error();
  }
  if (b.Has("seatRows")) {
    BO_TRY(rows, b.Element("seatRows"));
    auto st = DecodeSeatRows(rows, cmd);
    if (!st.ok()) return st.error();
  }
  if (b.Has("ticketTypes")) {
    BO_TRY(types, ArrayField(b, "ticketTypes"));
    auto st = DecodeTicketTypes(types, cmd);
    if (!st.ok()) return st.error();
  }
  std::set<std::tuple<std::string_view, std::string_view, int>> positions;
  for (const auto& s : cmd.seats) {
    if (!positions.emplace(s.section, s.row, s.number).second) {
      return Invalid("seats: seat " + s.section + "/" + s.row + "/" + std::to_string(s.number) +
                     " appears twice");
    }
  }
  return cmd;
}

Result<ReserveCommand> DecodeReserve(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  BO_TRY(schedule_id, StringField(b, "scheduleId", 1, 64));
  const bool by_seats = b.Has("seatIds");
  const bool by_type = b.Has("ticketTypeId");
  if (by_seats == by_type) {
    return Invalid("body: give either seatIds or ticketTypeId with quantity");
  }
  if (by_seats) {
    BO_TRY(seats, ArrayField(b, "seatIds"));
    if (seats.size() == 0 || seats.size() > static_cast<size_t>(kSeatsPerReservationMax)) {
      return Invalid("seatIds: must hold 1 to " + std::to_string(kSeatsPerReservationMax) +
                     " seat ids");
    }
    ReserveSeatsCommand cmd;
    cmd.schedule_id = schedule_id;
    size_t i = 0;
    for (simdjson::dom::element e : seats) {
      BO_TRY(id, StringOf(e, "seatIds[" + std::to_string(i++) + "]", 1, 64));
      if (std::find(cmd.seat_ids.begin(), cmd.seat_ids.end(), id) != cmd.seat_ids.end()) {
        return Invalid("seatIds: seat " + id + " appears twice");
      }
      cmd.seat_ids.push_back(std::move(id));
    }
    return ReserveCommand{std::move(cmd)};
  }
  ReserveTicketsCommand cmd;
  cmd.schedule_id = schedule_id;
  BO_TRY(type_id, StringField(b, "ticketTypeId", 1, 64));
  BO_TRY(quantity, IntField(b, "quantity", 1, kUnitsPerReservationMax));
  cmd.ticket_type_id = type_id;
  cmd.quantity = static_cast<int>(quantity);
  return ReserveCommand{std::move(cmd)};
}

Result<Money> DecodeCharge(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  return IntField(b, "amount", kChargeAmountMin, kChargeAmountMax);
}

Result<PayInput> DecodePay(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  BO_TRY(reservation_id, StringField(b, "reservationId", 1, 64));
  BO_TRY(method, StringField(b, "method", 1, 32));
  if (method != "POINTS") return Invalid("method: must be POINTS");
  return PayInput{reservation_id, method};
}

Result<std::string> DecodeTicketVerify(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  return StringField(b, "code", 1, 256);
}

Result<WaitingRoomSettings> DecodeWaitingRoomSettings(std::string_view text, UnixMs now_ms) {
  BO_TRY(b, Body::Parse(text));
  WaitingRoomSettings s;
  BO_TRY(enabled, BoolField(b, "enabled"));
  BO_TRY(admit_per_second, IntField(b, "admitPerSecond", kAdmitPerSecondMin, kAdmitPerSecondMax));
  BO_TRY(max_active, IntField(b, "maxActive", kMaxActiveMin, kMaxActiveMax));
  BO_TRY(ttl_seconds, IntField(b, "activeTtlSeconds", kActiveTtlSecondsMin, kActiveTtlSecondsMax));
  s.enabled = enabled;
  s.admit_per_second = static_cast<int>(admit_per_second);
  s.max_active = static_cast<int>(max_active);
  s.active_ttl_seconds = static_cast<int>(ttl_seconds);
  if (b.Has("opensAt")) {
    BO_TRY(opens_at, StringField(b, "opensAt", 1, 64));
    const auto opens_at_ms = ParseRfc3339(opens_at);
    if (!opens_at_ms) return Invalid("opensAt: must be an RFC 3339 date-time or null");
    s.opens_at_ms = *opens_at_ms;
  }
  auto valid = ValidateWaitingRoomSettings(s, now_ms);
  if (!valid.ok()) return valid.error();
  return s;
}

Result<std::string> DecodeJoinQueue(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  return StringField(b, "concertId", 1, 64);
}

Result<std::optional<std::string>> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out.push_back(' ');
      } else if (raw[i] == '%') {
        const int hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
        const int lo = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) return Invalid(std::string(name) + ": malformed percent-escape");
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(raw[i]);
      }
    }
    return std::optional<std::string>(std::move(out));
  }
  return std::optional<std::string>();
}

std::string EncodeCursor(std::string_view id) { return id.empty() ? "" : Base64UrlEncode(id); }

Result<ListQuery> DecodeListQuery(std::string_view query) {
  ListQuery q;
  BO_TRY(limit, QueryParam(query, "limit"));
  BO_TRY(cursor, QueryParam(query, "cursor"));
  if (limit) {
    if (limit->empty() || limit->size() > 3 ||
        !std::all_of(limit->begin(), limit->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Invalid("limit: must be an integer from 1 to " + std::to_string(kListLimitMax));
    }
    q.limit = std::stoi(*limit);
    if (q.limit < 1 || q.limit > kListLimitMax) {
      return Invalid("limit: must be an integer from 1 to " + std::to_string(kListLimitMax));
    }
  }
  if (cursor && !cursor->empty()) {
    auto id = Base64UrlDecode(*cursor);
    if (!id || id->empty() || id->size() > 64 || !IsValidUtf8(*id)) {
      return Invalid("cursor: is not a cursor this server gave");
    }
    q.cursor_id = std::move(*id);
  }
  return q;
}

Result<RangeQuery> DecodeRangeQuery(std::string_view query) {
  RangeQuery r;
  BO_TRY(from, QueryParam(query, "from"));
  BO_TRY(to, QueryParam(query, "to"));
  if (from) {
    auto t = ParseRfc3339(*from);
    if (!t) return Invalid("from: must be an RFC 3339 date-time");
    r.from_ms = *t;
  }
  if (to) {
    auto t = ParseRfc3339(*to);
    if (!t) return Invalid("to: must be an RFC 3339 date-time");
    r.to_ms = *t;
  }
  if (r.from_ms > r.to_ms) return Invalid("from: must not be after to");
  return r;
}

Result<CreateWebhookCommand> DecodeCreateWebhook(std::string_view text) {
  BO_TRY(b, Body::Parse(text));
  CreateWebhookCommand cmd;
  BO_TRY(url, StringField(b, "url", 1, kWebhookUrlBytesMax));
  cmd.url = std::move(url);
  if (auto ok = ValidateWebhookUrl(cmd.url); !ok) return ok.error();
  BO_TRY(events, ArrayField(b, "events"));
  if (events.size() == 0 || events.size() > kWebhookEventTypesMax) {
    return Invalid("events: must list 1 to " + std::to_string(kWebhookEventTypesMax) +
                   " event types, or [\"*\"]");
  }
  size_t i = 0;
  for (simdjson::dom::element e : events) {
    BO_TRY(type, StringOf(e, "events[" + std::to_string(i++) + "]", 1, 64));
    cmd.event_types.push_back(std::move(type));
  }
  if (auto ok = ValidateWebhookEventTypes(cmd.event_types); !ok) return ok.error();
  if (b.Has("secret")) {
    BO_TRY(secret, StringField(b, "secret", 1, kWebhookSecretBytesMax));
    cmd.secret = std::move(secret);
  }
  return cmd;
}

}  // namespace bo
