// Access tokens the load generator signs with the server's JWT secret (API.md: the load
// generator may mint user tokens). Its users need no sign-up: the server knows a user by the
// token's `sub`, and a wallet is created by its first charge.
#pragma once

#include <cstdint>
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

// Mints the tokens of one run's users, "usr_bench_<run id>_<n>", valid for ttl_seconds from
// now_ms. Thread-safe (Mint is const and the codec keeps no state between calls).
class UserMinter {
 public:
  // REQUIRES: ttl_seconds >= 1.
  UserMinter(const JwtCodec& jwt, std::string run_id, UnixMs now_ms, int ttl_seconds);

  std::string UserId(std::int64_t n) const;
  // The token of user n. REQUIRES: n >= 0.
  std::string Mint(std::int64_t n) const;

 private:
  JwtCodec jwt_;
  std::string run_id_;
  UnixMs now_ms_;
  int ttl_seconds_;
};

// The users of one run: users 0 .. count-1 of `minter`, each with its token.
class BenchUsers {
 public:
  // REQUIRES: 1 <= count <= kUsersMax.
  BenchUsers(const UserMinter& minter, int count);

  int size() const { return static_cast<int>(ids_.size()); }
  // REQUIRES: 0 <= i < size()
  const std::string& id(int i) const { return ids_[static_cast<size_t>(i)]; }
  const std::string& token(int i) const { return tokens_[static_cast<size_t>(i)]; }

 private:
  std::vector<std::string> ids_;
  std::vector<std::string> tokens_;
};

}  // namespace bo::loadgen
