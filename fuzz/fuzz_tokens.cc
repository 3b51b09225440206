// Access tokens, base64 and RFC 3339 instants under random input:
//  - JwtCodec::Verify accepts no token that Issue did not produce with the same secret: the raw
//    input, and any single-byte change of an issued token, is refused;
//  - Issue then Verify gives back the principal, and the token is refused once expired or
//    under another secret;
//  - a header and claims signed with the secret are accepted only if they are what the codec
//    demands (alg HS256 and nothing but alg/typ in the header, a future exp and a sub);
//  - decode(encode(x)) == x for both base64 alphabets, and a decoded text is the canonical
//    encoding of what it decodes to (padding aside);
//  - ParseRfc3339(FormatRfc3339(t)) == t, and a parsed instant formats and parses back.
#include <fuzzer/FuzzedDataProvider.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/time.h"
#include "crypto/encoding.h"
#include "crypto/jwt.h"
#include "domain/user.h"

namespace {

using namespace bo;

[[noreturn]] void Fail(const char* what, int line) {
  std::fprintf(stderr, "fuzz_tokens.cc:%d: contract violated: %s\n", line, what);
  std::abort();
}

#define CHECK(cond)                     \
  do {                                  \
    if (!(cond)) Fail(#cond, __LINE__); \
  } while (0)

constexpr std::string_view kSecret = "fuzz-secret";
constexpr std::string_view kOtherSecret = "fuzz-secret-2";
// 2026-01-01T00:00:00Z: the "now" of raw-token checks.
constexpr UnixMs kNowMs = 1'767'225'600'000;
constexpr UnixMs kYear0Ms = -62'167'219'200'000;
constexpr UnixMs kYear10000Ms = 253'402'300'800'000;

const JwtCodec& Codec() {
  static const JwtCodec codec{std::string(kSecret)};
  return codec;
}

const JwtCodec& OtherCodec() {
  static const JwtCodec codec{std::string(kOtherSecret)};
  return codec;
}

bool IsUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

void CheckRefused(const Result<Principal>& r) {
  CHECK(!r.ok());
  CHECK(r.error().code == ErrorCode::kUnauthenticated);
  CHECK(!r.error().detail.empty());
}

std::string StripPadding(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

// The input itself as a token: random bytes never carry a signature of the secret.
void FuzzRawToken(std::string_view in) {
  CheckRefused(Codec().Verify(in, kNowMs));
  CheckRefused(Codec().Verify(in, 0));
}

// A header and claims from the input, signed with the secret: Verify may accept them only if
// they are what it demands.
void FuzzSignedClaims(FuzzedDataProvider& fdp) {
  const std::string header = fdp.ConsumeBool() ? std::string(R"({"alg":"HS256","typ":"JWT"})")
                                               : fdp.ConsumeRandomLengthString(256);
  const std::string payload = fdp.ConsumeRandomLengthString(512);
  const UnixMs now_ms = fdp.ConsumeIntegralInRange<UnixMs>(0, kYear10000Ms);
  std::string token = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  const std::string signature = Base64UrlEncode(HmacSha256(kSecret, token));
  token += "." + signature;
  const auto r = Codec().Verify(token, now_ms);
  if (!r.ok()) {
    CHECK(r.error().code == ErrorCode::kUnauthenticated);
    CHECK(!r.error().detail.empty());
    return;
  }
  CHECK(token.size() <= kJwtBytesMax);
  // The header is an object of alg (HS256) and typ only.
  simdjson::dom::parser hp;
  simdjson::dom::object h;
  CHECK(hp.parse(header).get(h) == simdjson::SUCCESS);
  bool has_alg = false;
  for (auto field : h) {
    CHECK(field.key == "alg" || field.key == "typ");
    if (field.key == "alg") {
      std::string_view alg;
      CHECK(field.value.get(alg) == simdjson::SUCCESS);
      CHECK(alg == "HS256");
      has_alg = true;
    }
  }
  CHECK(has_alg);
  // The claims have a future exp and a non-empty sub, which is the principal's user id.
  simdjson::dom::parser pp;
  simdjson::dom::element p;
  CHECK(pp.parse(payload).get(p) == simdjson::SUCCESS);
  std::int64_t exp = 0;
  CHECK(p["exp"].get(exp) == simdjson::SUCCESS);
  CHECK(exp > now_ms / 1000);  // exp * 1000 > now_ms, for now_ms >= 0
  std::string_view sub;
  CHECK(p["sub"].get(sub) == simdjson::SUCCESS);
  CHECK(!sub.empty());
  CHECK(r->user_id == sub);
  // The same claims under another secret are refused.
  CheckRefused(OtherCodec().Verify(token, now_ms));
}

// Issue then Verify: the principal comes back; an expired token, another secret, or any
// single-byte change is refused.
void FuzzIssued(FuzzedDataProvider& fdp) {
  Principal who;
  who.user_id = fdp.ConsumeRandomLengthString(80);
  who.name = fdp.ConsumeRandomLengthString(120);
  if (who.user_id.empty() || !IsUtf8(who.user_id) || !IsUtf8(who.name)) return;
  who.grade = static_cast<Grade>(fdp.ConsumeIntegralInRange<int>(0, 3));
  who.role = fdp.ConsumeBool() ? Role::kAdmin : Role::kUser;
  const UnixMs now_ms = fdp.ConsumeIntegralInRange<UnixMs>(0, 4'000'000'000'000);
  const int ttl = fdp.ConsumeIntegralInRange<int>(1, 365 * 24 * 3600);
  const std::string token = Codec().Issue(who, now_ms, ttl);
  if (token.size() > kJwtBytesMax) return;

  const auto r = Codec().Verify(token, now_ms);
  CHECK(r.ok());
  CHECK(r->user_id == who.user_id);
  CHECK(r->name == who.name);
  CHECK(r->grade == who.grade);
  CHECK(r->role == who.role);

  CheckRefused(Codec().Verify(token, now_ms + static_cast<UnixMs>(ttl) * 1000));
  CheckRefused(OtherCodec().Verify(token, now_ms));

  std::string changed = token;
  const size_t at = fdp.ConsumeIntegralInRange<size_t>(0, changed.size() - 1);
  const char by = static_cast<char>(fdp.ConsumeIntegralInRange<int>(1, 255));
  changed[at] = static_cast<char>(changed[at] ^ by);
  CheckRefused(Codec().Verify(changed, now_ms));
}

void FuzzBase64(std::string_view in) {
  const std::string std_text = Base64Encode(in);
  const std::string url_text = Base64UrlEncode(in);
  CHECK(std_text.size() % 4 == 0);
  CHECK(url_text.find_first_of("=+/") == std::string::npos);
  const auto from_std = Base64Decode(std_text);
  const auto from_url = Base64UrlDecode(url_text);
  CHECK(from_std.has_value() && *from_std == in);
  CHECK(from_url.has_value() && *from_url == in);
  CHECK(Base64Decode(StripPadding(std_text)) == from_std);  // padding is optional

  // Decoding the input as text: what decodes has exactly one encoding, the input.
  if (const auto d = Base64Decode(in)) {
    CHECK(StripPadding(Base64Encode(*d)) == StripPadding(std::string(in)));
  }
  if (const auto d = Base64UrlDecode(in)) {
    CHECK(Base64UrlEncode(*d) == StripPadding(std::string(in)));
  }
}

void FuzzTime(std::string_view in, FuzzedDataProvider& fdp) {
  if (const auto t = ParseRfc3339(in)) {
    CHECK(in.size() >= 20);
    if (*t >= kYear0Ms && *t < kYear10000Ms) {
      const std::string text = FormatRfc3339(*t);
      CHECK(ParseRfc3339(text) == t);
      CHECK(FormatRfc3339(*ParseRfc3339(text)) == text);
    }
  }
  const UnixMs any = fdp.ConsumeIntegral<UnixMs>();
  (void)FormatRfc3339(any);  // any instant formats without undefined behaviour
  const UnixMs t = fdp.ConsumeIntegralInRange<UnixMs>(kYear0Ms, kYear10000Ms - 1);
  const std::string text = FormatRfc3339(t);
  CHECK(text.size() == 20 || text.size() == 24);
  CHECK(ParseRfc3339(text) == t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  FuzzRawToken(in);
  FuzzBase64(in);
  {
    FuzzedDataProvider fdp(data, size);
    FuzzTime(in, fdp);
  }
  {
    FuzzedDataProvider fdp(data, size);
    FuzzSignedClaims(fdp);
  }
  {
    FuzzedDataProvider fdp(data, size);
    FuzzIssued(fdp);
  }
  return 0;
}
