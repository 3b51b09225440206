// Result<T>: a value or a domain error. Use cases return it instead of throwing, and the HTTP
// layer maps each ErrorCode to one status in a single table (http/problem.cc).
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "common/assert.h"

namespace bo {

enum class ErrorCode {
  kInvalidRequest,
  kUnauthenticated,
  kForbidden,
  kNotFound,
  kEmailTaken,
  kInvalidCredentials,
  kSeatUnavailable,
  kSoldOut,
  kInvalidState,
  kInsufficientBalance,
  kReservationExpired,
  kIdempotencyKeyRequired,
  kIdempotencyKeyReused,
  kIdempotencyKeyInUse,
  kQueueTokenRequired,
  kQueueTokenNotActive,
  kRateLimited,
  kPayloadTooLarge,
  kMethodNotAllowed,
  kUnavailable,
  kInternal,
};

struct Error {
  ErrorCode code;
  std::string detail;
};

inline Error MakeError(ErrorCode code, std::string detail) {
  return Error{code, std::move(detail)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & {
    BO_ASSERT(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    BO_ASSERT(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    BO_ASSERT(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

  // REQUIRES: !ok()
  const Error& error() const {
    BO_ASSERT(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation with no value.
struct Done {};
using Status = Result<Done>;
inline Status Ok() { return Done{}; }

}  // namespace bo
