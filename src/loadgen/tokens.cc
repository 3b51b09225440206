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

UserMinter::UserMinter(const JwtCodec& jwt, std::string run_id, UnixMs now_ms, int ttl_seconds)
    : jwt_(jwt), run_id_(std::move(run_id)), now_ms_(now_ms), ttl_seconds_(ttl_seconds) {
  BO_ASSERT(ttl_seconds_ >= 1);
}

std::string UserMinter::UserId(std::int64_t n) const {
  BO_ASSERT(n >= 0);
  return "usr_bench_" + run_id_ + "_" + std::to_string(n);
}

std::string UserMinter::Mint(std::int64_t n) const {
  Principal who;
  who.user_id = UserId(n);
  who.name = who.user_id;
  who.role = Role::kUser;
  return jwt_.Issue(who, now_ms_, ttl_seconds_);
}

BenchUsers::BenchUsers(const UserMinter& minter, int count) {
  BO_ASSERT(count >= 1 && count <= kUsersMax);
  ids_.reserve(static_cast<size_t>(count));
  tokens_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    ids_.push_back(minter.UserId(i));
    tokens_.push_back(minter.Mint(i));
  }
}

}  // namespace bo::loadgen
