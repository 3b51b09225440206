// Request decoding: each API body or query string to a command, or kInvalidRequest with a
// detail that names the field. Pure functions, so they are unit tested and fuzzed directly.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "app/catalog.h"
#include "app/reservations.h"
#include "app/webhooks.h"
#include "common/result.h"
#include "domain/waiting_room.h"

namespace bo {

inline constexpr size_t kBodyBytesMax = 1 << 20;  // 1 MiB; larger bodies are 413
inline constexpr int kListLimitDefault = 20;
inline constexpr int kListLimitMax = 100;
inline constexpr int kSchedulesPerQueryMax = 1000;

struct SignUpInput {
  std::string email;  // lower-cased
  std::string password;
  std::string name;
};
Result<SignUpInput> DecodeSignUp(std::string_view body);

struct LogInInput {
  std::string email;  // lower-cased
  std::string password;
};
Result<LogInInput> DecodeLogIn(std::string_view body);

Result<CreateConcertCommand> DecodeCreateConcert(std::string_view body);

// `concert_id` comes from the path.
Result<CreateScheduleCommand> DecodeCreateSchedule(std::string_view body,
                                                   std::string_view concert_id);

// A reservation body names seats or a ticket type with a quantity; user_id is left empty.
using ReserveCommand = std::variant<ReserveSeatsCommand, ReserveTicketsCommand>;
Result<ReserveCommand> DecodeReserve(std::string_view body);

// {amount}: kChargeAmountMin..kChargeAmountMax.
Result<Money> DecodeCharge(std::string_view body);

struct PayInput {
  std::string reservation_id;
  std::string method;  // "POINTS"
};
Result<PayInput> DecodePay(std::string_view body);

// {code}
Result<std::string> DecodeTicketVerify(std::string_view body);

// {enabled, admitPerSecond, maxActive, activeTtlSeconds, opensAt?}: every field but opensAt
// (an RFC 3339 time or null) is required; ranges as ValidateWaitingRoomSettings at `now_ms`.
Result<WaitingRoomSettings> DecodeWaitingRoomSettings(std::string_view body, UnixMs now_ms);

// {concertId}: the concert whose waiting room to join.
Result<std::string> DecodeJoinQueue(std::string_view body);

struct ListQuery {
  int limit = kListLimitDefault;
  std::string cursor_id;  // decoded from the opaque cursor; empty for the first page
};
// ?limit=&cursor=
Result<ListQuery> DecodeListQuery(std::string_view query);

struct RangeQuery {
  UnixMs from_ms = INT64_MIN;
  UnixMs to_ms = INT64_MAX;
};
// ?from=&to= (RFC 3339); from <= to.
Result<RangeQuery> DecodeRangeQuery(std::string_view query);

// The opaque cursor for a page that ends at `id` (empty stays empty).
std::string EncodeCursor(std::string_view id);

// Returns the value of `name` in a query string, percent-decoded; nullopt if absent;
// kInvalidRequest naming the parameter if its escapes are malformed.
Result<std::optional<std::string>> QueryParam(std::string_view query, std::string_view name);

// {url, events, secret?}: url as ValidateWebhookUrl, events as ValidateWebhookEventTypes,
// secret (optional) a string of at most kWebhookSecretBytesMax bytes, checked by CreateWebhook.
Result<CreateWebhookCommand> DecodeCreateWebhook(std::string_view body);

}  // namespace bo
