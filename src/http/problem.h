// RFC 9457 problem details. The one table from ErrorCode to HTTP status and API code.
#pragma once

#include <string_view>

#include "common/result.h"
#include "http/message.h"

namespace bo {

int HttpStatusOf(ErrorCode code);
std::string_view ApiCodeOf(ErrorCode code);  // "SEAT_UNAVAILABLE", ...

// An application/problem+json response for `error`.
HttpResponse ProblemResponse(const Error& error);

// A JSON response.
inline HttpResponse JsonResponse(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body), {}, {}};
}

}  // namespace bo
