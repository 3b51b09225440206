// Feeds one input to every request decoder of http/decode.h and checks each decoder's contract:
// on success the command is within the documented limits; on failure the error is
// kInvalidRequest with a detail. A violated contract aborts, which libFuzzer reports as a crash.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "crypto/encoding.h"
#include "domain/money.h"
#include "domain/reservation.h"
#include "domain/user.h"
#include "domain/waiting_room.h"
#include "http/decode.h"

namespace {

using namespace bo;

[[noreturn]] void Fail(const char* what, int line) {
  std::fprintf(stderr, "fuzz_decode.cc:%d: contract violated: %s\n", line, what);
  std::abort();
}

#define CHECK(cond)                     \
  do {                                  \
    if (!(cond)) Fail(#cond, __LINE__); \
  } while (0)

bool IsUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

bool HasControl(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

bool HasUpper(std::string_view s) {
  for (const char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

// A string a decoder took from a JSON body: its length is within bounds, it is valid UTF-8
// (simdjson validates every document), and it has no control characters.
bool IsText(std::string_view s, size_t min_bytes, size_t max_bytes) {
  return s.size() >= min_bytes && s.size() <= max_bytes && IsUtf8(s) && !HasControl(s);
}

template <class T>
void CheckFailure(const Result<T>& r) {
  if (r.ok()) return;
  CHECK(r.error().code == ErrorCode::kInvalidRequest);
  CHECK(!r.error().detail.empty());
}

// Days 0000-01-01 and 10000-01-01 in Unix ms: FormatRfc3339 writes four-digit years only
// between them, so a round trip through text is expected only there.
constexpr UnixMs kYear0Ms = -62'167'219'200'000;
constexpr UnixMs kYear10000Ms = 253'402'300'800'000;

void CheckInstantRoundTrip(UnixMs t) {
  if (t < kYear0Ms || t >= kYear10000Ms) return;
  const auto again = ParseRfc3339(FormatRfc3339(t));
  CHECK(again.has_value());
  CHECK(*again == t);
}

void FuzzSignUp(std::string_view in) {
  const auto r = DecodeSignUp(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(IsText(r->email, 3, kEmailBytesMax));
  CHECK(!HasUpper(r->email));
  CHECK(IsPlausibleEmail(r->email));
  CHECK(IsText(r->password, kPasswordBytesMin, kPasswordBytesMax));
  CHECK(IsText(r->name, 1, kUserNameBytesMax));
}

void FuzzLogIn(std::string_view in) {
  const auto r = DecodeLogIn(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(IsText(r->email, 1, kEmailBytesMax));
  CHECK(!HasUpper(r->email));
  CHECK(IsText(r->password, 1, kPasswordBytesMax));
}

void FuzzCreateConcert(std::string_view in) {
  const auto r = DecodeCreateConcert(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(IsText(r->name, 1, kCatalogTextBytesMax));
  CHECK(IsText(r->artist, 1, kCatalogTextBytesMax));
  CHECK(IsText(r->venue, 1, kCatalogTextBytesMax));
}

void FuzzCreateSchedule(std::string_view in) {
  static constexpr std::string_view kConcertId = "con_0000000000000001";
  const auto r = DecodeCreateSchedule(in, kConcertId);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(r->concert_id == kConcertId);
  CheckInstantRoundTrip(r->starts_at_ms);
  CHECK(r->seats.size() <= static_cast<size_t>(kSeatsPerScheduleMax));
  CHECK(r->ticket_types.size() <= static_cast<size_t>(kTicketTypesPerScheduleMax));
  std::set<std::tuple<std::string_view, std::string_view, int>> positions;
  for (const auto& s : r->seats) {
    CHECK(IsText(s.section, 1, kCatalogTextBytesMax));
    CHECK(IsText(s.row, 1, kCatalogTextBytesMax));
    CHECK(IsText(s.grade, 1, kCatalogTextBytesMax));
    CHECK(s.number >= 0 && s.number <= kSeatNumberMax);
    CHECK(s.price >= 0 && s.price <= kPriceMax);
    CHECK(positions.emplace(s.section, s.row, s.number).second);  // no two seats alike
  }
  for (const auto& t : r->ticket_types) {
    CHECK(IsText(t.name, 1, kCatalogTextBytesMax));
    CHECK(t.price >= 0 && t.price <= kPriceMax);
    CHECK(t.capacity >= 0 && t.capacity <= kTicketCapacityMax);
  }
}

void FuzzReserve(std::string_view in) {
  const auto r = DecodeReserve(in);
  CheckFailure(r);
  if (!r.ok()) return;
  if (const auto* seats = std::get_if<ReserveSeatsCommand>(&r.value())) {
    CHECK(seats->user_id.empty());
    CHECK(IsText(seats->schedule_id, 1, 64));
    CHECK(!seats->seat_ids.empty());
    CHECK(seats->seat_ids.size() <= static_cast<size_t>(kSeatsPerReservationMax));
    std::set<std::string_view> distinct;
    for (const auto& id : seats->seat_ids) {
      CHECK(IsText(id, 1, 64));
      CHECK(distinct.insert(id).second);
    }
  } else {
    const auto& units = std::get<ReserveTicketsCommand>(r.value());
    CHECK(units.user_id.empty());
    CHECK(IsText(units.schedule_id, 1, 64));
    CHECK(IsText(units.ticket_type_id, 1, 64));
    CHECK(units.quantity >= 1 && units.quantity <= kUnitsPerReservationMax);
  }
}

void FuzzCharge(std::string_view in) {
  const auto r = DecodeCharge(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(r.value() >= kChargeAmountMin && r.value() <= kChargeAmountMax);
}

void FuzzPay(std::string_view in) {
  const auto r = DecodePay(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(IsText(r->reservation_id, 1, 64));
  CHECK(r->method == "POINTS");
}

void FuzzTicketVerify(std::string_view in) {
  const auto r = DecodeTicketVerify(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(IsText(r.value(), 1, 256));
}

void FuzzWaitingRoomSettings(std::string_view in) {
  constexpr UnixMs kNowMs = 1'790'000'000'000;
  const auto r = DecodeWaitingRoomSettings(in, kNowMs);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(ValidateWaitingRoomSettings(r.value(), kNowMs).ok());
  if (r->opens_at_ms) CheckInstantRoundTrip(*r->opens_at_ms);
}

void FuzzJoinQueue(std::string_view in) {
  const auto r = DecodeJoinQueue(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(IsText(r.value(), 1, 64));
}

void FuzzListQuery(std::string_view in) {
  const auto r = DecodeListQuery(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(r->limit >= 1 && r->limit <= kListLimitMax);
  CHECK(r->cursor_id.size() <= 64);
  CHECK(IsUtf8(r->cursor_id));
  // The cursor the server would give for this page decodes back to the same id.
  const auto again = DecodeListQuery("limit=" + std::to_string(r->limit) +
                                     "&cursor=" + EncodeCursor(r->cursor_id));
  CHECK(again.ok());
  CHECK(again->limit == r->limit);
  CHECK(again->cursor_id == r->cursor_id);
}

void FuzzRangeQuery(std::string_view in) {
  const auto r = DecodeRangeQuery(in);
  CheckFailure(r);
  if (!r.ok()) return;
  CHECK(r->from_ms <= r->to_ms);
  if (r->from_ms != INT64_MIN) CheckInstantRoundTrip(r->from_ms);
  if (r->to_ms != INT64_MAX) CheckInstantRoundTrip(r->to_ms);
}

std::string PercentEncodeAll(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 15]);
  }
  return out;
}

void FuzzQueryParam(std::string_view in) {
  for (const std::string_view name : {"limit", "cursor", "from", "to", ""}) {
    const auto r = QueryParam(in, name);
    CheckFailure(r);
    if (!r.ok()) {
      CHECK(r.error().detail.find(name) != std::string::npos);  // names the parameter
      continue;
    }
    if (!r->has_value()) continue;
    // A decoded value is never longer than the query it came from.
    CHECK(r.value()->size() <= in.size());
  }
  // Any bytes, percent-encoded, come back as they were, whatever precedes or follows them.
  const std::string query = "a=1&v=" + PercentEncodeAll(in) + "&v=second";
  const auto v = QueryParam(query, "v");
  CHECK(v.ok());
  CHECK(v->has_value());
  CHECK(*v.value() == in);
  const auto absent = QueryParam(query, "w");
  CHECK(absent.ok());
  CHECK(!absent->has_value());
}

void FuzzCursor(std::string_view in) {
  const std::string cursor = EncodeCursor(in);
  CHECK(cursor.empty() == in.empty());
  const auto q = DecodeListQuery("cursor=" + cursor);
  const bool acceptable = in.size() <= 64 && IsUtf8(in);
  CheckFailure(q);
  CHECK(q.ok() == acceptable);
  if (q.ok()) {
    CHECK(q->cursor_id == in);
    CHECK(q->limit == kListLimitDefault);
  }
  const auto bytes = Base64UrlDecode(cursor);
  CHECK(bytes.has_value());
  CHECK(*bytes == in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  FuzzSignUp(in);
  FuzzLogIn(in);
  FuzzCreateConcert(in);
  FuzzCreateSchedule(in);
  FuzzReserve(in);
  FuzzCharge(in);
  FuzzWaitingRoomSettings(in);
  FuzzJoinQueue(in);
  FuzzPay(in);
  FuzzTicketVerify(in);
  FuzzListQuery(in);
  FuzzRangeQuery(in);
  FuzzQueryParam(in);
  FuzzCursor(in);
  return 0;
}
