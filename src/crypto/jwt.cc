#include "crypto/jwt.h"

#include <simdjson.h>

#include "codec/json_writer.h"
#include "common/assert.h"
#include "crypto/encoding.h"

namespace bo {
namespace {

Error Unauthenticated(std::string detail) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(detail));
}

}  // namespace

JwtCodec::JwtCodec(std::string secret) : secret_(std::move(secret)) { BO_ASSERT(!secret_.empty()); }

std::string JwtCodec::Issue(const Principal& who, UnixMs now_ms, int ttl_seconds) const {
  JsonWriter w;
  w.BeginObject();
  w.Field("sub", who.user_id);
  w.Field("name", who.name);
  w.Field("grade", GradeName(who.grade));
  w.Field("role", RoleName(who.role));
  w.Field("iat", now_ms / 1000);
  w.Field("exp", now_ms / 1000 + ttl_seconds);
  w.EndObject();
  std::string token = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  token.push_back('.');
  token += Base64UrlEncode(w.Take());
  const std::string signature = HmacSha256(secret_, token);
  token.push_back('.');
  token += Base64UrlEncode(signature);
  return token;
}

Result<Principal> JwtCodec::Verify(std::string_view token, UnixMs now_ms) const {
  if (token.empty() || token.size() > kJwtBytesMax)
    return Unauthenticated("token is empty or too long");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("token is not a JWS compact serialization");
  }
  const auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!signature || !ConstantTimeEquals(*signature, HmacSha256(secret_, token.substr(0, dot2)))) {
    return Unauthenticated("token signature does not verify");
  }
  const auto header = Base64UrlDecode(token.substr(0, dot1));
  const auto payload = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!header || !payload) return Unauthenticated("token is not base64url");

  // One parser per thread, reused: a new one allocates its buffers on every request.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element h;
  if (parser.parse(*header).get(h) != simdjson::SUCCESS) return Unauthenticated("bad token header");
  std::string_view alg;
  if (h["alg"].get(alg) != simdjson::SUCCESS || alg != "HS256") {
    return Unauthenticated("token algorithm must be HS256");
  }
  simdjson::dom::object object;
  if (h.get(object) != simdjson::SUCCESS) return Unauthenticated("bad token header");
  for (auto field : object) {
    if (field.key != "alg" && field.key != "typ") return Unauthenticated("unexpected token header");
  }

  simdjson::dom::element p;  // the header's elements are not used past here
  if (parser.parse(*payload).get(p) != simdjson::SUCCESS) {
    return Unauthenticated("bad token claims");
  }
  std::int64_t exp = 0;
  if (p["exp"].get(exp) != simdjson::SUCCESS) return Unauthenticated("token has no exp");
  // Compared in seconds: `exp * 1000` would overflow for a huge or very negative exp.
  if (exp <= now_ms / 1000) return Unauthenticated("token has expired");
  Principal who;
  std::string_view sub, name, grade, role;
  if (p["sub"].get(sub) != simdjson::SUCCESS || sub.empty())
    return Unauthenticated("token has no sub");
  if (p["name"].get(name) != simdjson::SUCCESS) name = "";
  if (p["grade"].get(grade) != simdjson::SUCCESS) grade = "BASIC";
  if (p["role"].get(role) != simdjson::SUCCESS) role = "user";
  const auto parsed_grade = ParseGrade(grade);
  const auto parsed_role = ParseRole(role);
  if (!parsed_grade || !parsed_role) return Unauthenticated("token has an unknown grade or role");
  who.user_id = std::string(sub);
  who.name = std::string(name);
  who.grade = *parsed_grade;
  who.role = *parsed_role;
  return who;
}

}  // namespace bo
