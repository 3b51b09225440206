#include "loadgen/answers.h"

#include <simdjson.h>

namespace bo::loadgen {
namespace {

using simdjson::SUCCESS;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Parses `json` after copying it, with simdjson's padding, into `padded` (whose capacity is
// kept for the next answer).
bool Parse(simdjson::dom::parser& parser, std::string& padded, std::string_view json,
           element& root) {
  padded.assign(json);
  padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  return parser.parse(padded.data(), json.size(), false).get(root) == SUCCESS;
}

bool StringOf(const object& o, std::string_view key, std::string& out) {
  std::string_view v;
  if (o[key].get(v) != SUCCESS) return false;
  out.assign(v);
  return true;
}

// A string, or null (read as "").
bool NullableStringOf(const object& o, std::string_view key, std::string& out) {
  element e;
  if (o[key].get(e) != SUCCESS) return false;
  if (e.is_null()) {
    out.clear();
    return true;
  }
  std::string_view v;
  if (e.get(v) != SUCCESS) return false;
  out.assign(v);
  return true;
}

template <class Int>
bool IntOf(const object& o, std::string_view key, Int& out) {
  std::int64_t v;
  if (o[key].get(v) != SUCCESS) return false;
  out = static_cast<Int>(v);
  return true;
}

bool TimeOf(const object& o, std::string_view key, UnixMs& out) {
  std::string_view v;
  if (o[key].get(v) != SUCCESS) return false;
  auto t = ParseRfc3339(v);
  if (!t) return false;
  out = *t;
  return true;
}

bool ItemsOf(const element& root, array& items) {
  object o;
  return root.get(o) == SUCCESS && o["items"].get(items) == SUCCESS;
}

}  // namespace

AnswerReader::AnswerReader() : parser_(std::make_unique<simdjson::dom::parser>()) {}

AnswerReader::~AnswerReader() = default;

std::optional<std::string> AnswerReader::Id(std::string_view json) {
  element root;
  object o;
  std::string id;
  if (!Parse(*parser_, padded_, json, root) || root.get(o) != SUCCESS || !StringOf(o, "id", id)) {
    return std::nullopt;
  }
  return id;
}

std::optional<GrantedHold> AnswerReader::Reservation(std::string_view json) {
  element root;
  object o;
  if (!Parse(*parser_, padded_, json, root) || root.get(o) != SUCCESS) return std::nullopt;
  GrantedHold h;
  array seats;
  if (!StringOf(o, "id", h.reservation_id) || o["seatIds"].get(seats) != SUCCESS ||
      !NullableStringOf(o, "ticketTypeId", h.ticket_type_id) || !IntOf(o, "quantity", h.quantity) ||
      !IntOf(o, "amount", h.amount) || !TimeOf(o, "createdAt", h.created_at_ms) ||
      !TimeOf(o, "expiresAt", h.expires_at_ms)) {
    return std::nullopt;
  }
  h.seat_ids.reserve(seats.size());
  for (element e : seats) {
    std::string_view id;
    if (e.get(id) != SUCCESS) return std::nullopt;
    h.seat_ids.emplace_back(id);
  }
  return h;
}

std::optional<QueuePlace> AnswerReader::QueueToken(std::string_view json) {
  element root;
  object o;
  if (!Parse(*parser_, padded_, json, root) || root.get(o) != SUCCESS) return std::nullopt;
  QueuePlace p;
  if (!StringOf(o, "token", p.token) || !StringOf(o, "concertId", p.concert_id) ||
      !StringOf(o, "status", p.status) || !IntOf(o, "position", p.position)) {
    return std::nullopt;
  }
  return p;
}

std::optional<PaymentView> AnswerReader::Payment(std::string_view json) {
  element root;
  object o;
  if (!Parse(*parser_, padded_, json, root) || root.get(o) != SUCCESS) return std::nullopt;
  PaymentView p;
  array tickets;
  if (!StringOf(o, "id", p.id) || !StringOf(o, "reservationId", p.reservation_id) ||
      o["tickets"].get(tickets) != SUCCESS) {
    return std::nullopt;
  }
  p.tickets = static_cast<int>(tickets.size());
  return p;
}

std::optional<ScheduleView> AnswerReader::Schedule(std::string_view json) {
  element root;
  object o;
  if (!Parse(*parser_, padded_, json, root) || root.get(o) != SUCCESS) return std::nullopt;
  ScheduleView s;
  array types;
  if (!StringOf(o, "id", s.id) || !IntOf(o, "seatsTotal", s.seats_total) ||
      !IntOf(o, "seatsAvailable", s.seats_available) || o["ticketTypes"].get(types) != SUCCESS) {
    return std::nullopt;
  }
  for (element e : types) {
    object t;
    TicketTypeView v;
    if (e.get(t) != SUCCESS || !StringOf(t, "id", v.id) || !IntOf(t, "price", v.price) ||
        !IntOf(t, "capacity", v.capacity) || !IntOf(t, "available", v.available)) {
      return std::nullopt;
    }
    s.ticket_types.push_back(std::move(v));
  }
  return s;
}

std::optional<std::vector<SeatState>> AnswerReader::SeatMap(std::string_view json) {
  element root;
  array items;
  if (!Parse(*parser_, padded_, json, root) || !ItemsOf(root, items)) return std::nullopt;
  std::vector<SeatState> seats;
  seats.reserve(items.size());
  for (element e : items) {
    object o;
    SeatState s;
    std::string_view status;
    if (e.get(o) != SUCCESS || !StringOf(o, "id", s.id) || o["status"].get(status) != SUCCESS) {
      return std::nullopt;
    }
    auto parsed = ParseSeatStatus(status);
    if (!parsed) return std::nullopt;
    s.status = *parsed;
    seats.push_back(std::move(s));
  }
  return seats;
}

std::optional<TicketPage> AnswerReader::Tickets(std::string_view json) {
  element root;
  array items;
  if (!Parse(*parser_, padded_, json, root) || !ItemsOf(root, items)) return std::nullopt;
  TicketPage page;
  for (element e : items) {
    object o;
    TicketView t;
    if (e.get(o) != SUCCESS || !StringOf(o, "id", t.id) ||
        !StringOf(o, "reservationId", t.reservation_id) ||
        !NullableStringOf(o, "seatId", t.seat_id) ||
        !NullableStringOf(o, "ticketTypeId", t.ticket_type_id)) {
      return std::nullopt;
    }
    page.items.push_back(std::move(t));
  }
  object o;
  if (root.get(o) != SUCCESS || !NullableStringOf(o, "nextCursor", page.next_cursor)) {
    return std::nullopt;
  }
  return page;
}

std::string AnswerReader::DescribeProblem(int status, std::string_view body) {
  std::string out = std::to_string(status);
  element root;
  object o;
  std::string code, detail;
  if (Parse(*parser_, padded_, body, root) && root.get(o) == SUCCESS && StringOf(o, "code", code)) {
    out += " " + code;
    if (StringOf(o, "detail", detail) || StringOf(o, "title", detail)) out += ": " + detail;
    return out;
  }
  constexpr size_t kBodyBytesShown = 200;
  if (!body.empty()) {
    out += ": ";
    out.append(body.substr(0, kBodyBytesShown));
  }
  return out;
}

}  // namespace bo::loadgen
