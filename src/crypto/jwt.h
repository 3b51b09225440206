// HS256 JSON Web Tokens for access tokens. Verification is strict: the header must name
// exactly {"alg":"HS256"} (typ optional), the signature must match, `exp` must be in the future,
// and the claims must have the types and values the API defines.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/time.h"
#include "domain/user.h"

namespace bo {

inline constexpr size_t kJwtBytesMax = 4096;

class JwtCodec {
 public:
  // REQUIRES: secret is not empty.
  explicit JwtCodec(std::string secret);

  // Returns a token for `who` that expires at now_ms + ttl_seconds.
  std::string Issue(const Principal& who, UnixMs now_ms, int ttl_seconds) const;

  // Returns the principal the token names, or kUnauthenticated with the reason.
  Result<Principal> Verify(std::string_view token, UnixMs now_ms) const;

 private:
  std::string secret_;
};

}  // namespace bo
