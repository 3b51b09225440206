// Access tokens the load generator signs with the server's JWT secret (API.md: the load
// generator may mint user tokens). Its users need no sign-up: the server knows a user by the
// token's `sub`, and a wallet is created by its first charge.
#pragma once

#include <string>
#include <vector>

#include "crypto/jwt.h"

namespace bo::loadgen {

inline constexpr int kUsersMax = 100'000;

// A fresh id for one run (8 hex digits from the operating system's random source), so that the
// users and idempotency keys of a rerun against the same server never collide with older ones.
std::string NewRunId();

// An admin token valid for `ttl_seconds` from `now_ms`.
std::string MintAdminToken(const JwtCodec& jwt, UnixMs now_ms, int ttl_seconds);

// The users of one run: "usr_bench_<run id>_<n>" for n = 0 .. count-1, each with its token.
class BenchUsers {
 public:
  // REQUIRES: 1 <= count <= kUsersMax, ttl_seconds >= 1.
  BenchUsers(const JwtCodec& jwt, const std::string& run_id, int count, UnixMs now_ms,
             int ttl_seconds);

  int size() const { return static_cast<int>(ids_.size()); }
  // REQUIRES: 0 <= i < size()
  const std::string& id(int i) const { return ids_[static_cast<size_t>(i)]; }
  const std::string& token(int i) const { return tokens_[static_cast<size_t>(i)]; }

 private:
  std::vector<std::string> ids_;
  std::vector<std::string> tokens_;
};

}  // namespace bo::loadgen
