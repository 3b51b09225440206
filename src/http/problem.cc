#include "http/problem.h"

#include "codec/json_writer.h"

namespace bo {
namespace {

struct Row {
  ErrorCode code;
  int status;
  std::string_view api_code;
  std::string_view title;
};

constexpr Row kTable[] = {
    {ErrorCode::kInvalidRequest, 400, "INVALID_REQUEST", "Invalid request"},
    {ErrorCode::kUnauthenticated, 401, "UNAUTHENTICATED", "Unauthenticated"},
    {ErrorCode::kForbidden, 403, "FORBIDDEN", "Forbidden"},
    {ErrorCode::kNotFound, 404, "NOT_FOUND", "Not found"},
    {ErrorCode::kEmailTaken, 409, "EMAIL_TAKEN", "Email taken"},
    {ErrorCode::kInvalidCredentials, 401, "INVALID_CREDENTIALS", "Invalid credentials"},
    {ErrorCode::kSeatUnavailable, 409, "SEAT_UNAVAILABLE", "Seat unavailable"},
    {ErrorCode::kSoldOut, 409, "SOLD_OUT", "Sold out"},
    {ErrorCode::kInvalidState, 409, "INVALID_STATE", "Invalid state"},
    {ErrorCode::kInsufficientBalance, 409, "INSUFFICIENT_BALANCE", "Insufficient balance"},
    {ErrorCode::kReservationExpired, 409, "RESERVATION_EXPIRED", "Reservation expired"},
    {ErrorCode::kIdempotencyKeyRequired, 400, "IDEMPOTENCY_KEY_REQUIRED",
     "Idempotency key required"},
    {ErrorCode::kIdempotencyKeyReused, 422, "IDEMPOTENCY_KEY_REUSED", "Idempotency key reused"},
    {ErrorCode::kIdempotencyKeyInUse, 409, "IDEMPOTENCY_KEY_IN_USE", "Idempotency key in use"},
    {ErrorCode::kQueueTokenRequired, 403, "QUEUE_TOKEN_REQUIRED", "Queue token required"},
    {ErrorCode::kQueueTokenNotActive, 403, "QUEUE_TOKEN_NOT_ACTIVE", "Queue token not active"},
    {ErrorCode::kRateLimited, 429, "RATE_LIMITED", "Rate limited"},
    {ErrorCode::kPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE", "Payload too large"},
    {ErrorCode::kMethodNotAllowed, 405, "METHOD_NOT_ALLOWED", "Method not allowed"},
    {ErrorCode::kUnavailable, 503, "UNAVAILABLE", "Service unavailable"},
    {ErrorCode::kInternal, 500, "INTERNAL", "Internal error"},
};

const Row& RowOf(ErrorCode code) {
  for (const auto& row : kTable) {
    if (row.code == code) return row;
  }
  return kTable[sizeof kTable / sizeof kTable[0] - 1];
}

}  // namespace

int HttpStatusOf(ErrorCode code) { return RowOf(code).status; }
std::string_view ApiCodeOf(ErrorCode code) { return RowOf(code).api_code; }

HttpResponse ProblemResponse(const Error& error) {
  const Row& row = RowOf(error.code);
  JsonWriter w;
  w.BeginObject();
  w.Field("type", "about:blank");
  w.Field("title", row.title);
  w.Field("status", row.status);
  w.Field("code", row.api_code);
  w.Field("detail", error.detail);
  w.EndObject();
  return HttpResponse{row.status, "application/problem+json", w.Take(), {}, {}};
}

}  // namespace bo
