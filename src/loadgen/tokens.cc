#include "loadgen/tokens.h"

#include "common/assert.h"
#include "crypto/encoding.h"

namespace bo::loadgen {

std::string NewRunId() { return HexEncode(RandomBytes(4)); }

std::string MintAdminToken(const JwtCodec& jwt, UnixMs now_ms, int ttl_seconds) {
  Principal admin;
  admin.user_id = "admin";
  admin.name = "boxoffice bench";
  admin.role = Role::kAdmin;
  return jwt.Issue(admin, now_ms, ttl_seconds);
}

BenchUsers::BenchUsers(const JwtCodec& jwt, const std::string& run_id, int count, UnixMs now_ms,
                       int ttl_seconds) {
  BO_ASSERT(count >= 1 && count <= kUsersMax);
  BO_ASSERT(ttl_seconds >= 1);
  ids_.reserve(static_cast<size_t>(count));
  tokens_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Principal who;
    who.user_id = "usr_bench_" + run_id + "_" + std::to_string(i);
    who.name = who.user_id;
    who.role = Role::kUser;
    tokens_.push_back(jwt.Issue(who, now_ms, ttl_seconds));
    ids_.push_back(std::move(who.user_id));
  }
}

}  // namespace bo::loadgen
