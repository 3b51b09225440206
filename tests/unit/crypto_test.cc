#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/jwt.h"
#include "crypto/password.h"
#include "crypto/ticket_code.h"

namespace bo {
namespace {

constexpr UnixMs kNow = 1'790'000'000'000;

Principal Alice() { return Principal{"usr_1", "Alice", Grade::kGold, Role::kUser}; }

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes);
    bytes.push_back(static_cast<char>(n * 37 + 200));
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("a").has_value());
  EXPECT_FALSE(Base64UrlDecode("ab+c").has_value());
}

TEST(HmacSha256, MatchesRfc4231AsKeysAlternateOnOneThread) {
  // RFC 4231, test cases 1 and 2, each twice: a thread keeps a context for the last key.
  const std::string key1(20, '\x0b');
  const std::string mac1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string mac2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(HexEncode(HmacSha256(key1, "Hi There")), mac1);
    EXPECT_EQ(HexEncode(HmacSha256(key1, "Hi There")), mac1);
    EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")), mac2);
  }
}

TEST(Jwt, IssuedTokenVerifiesWithItsClaims) {
  JwtCodec jwt("secret");
  auto who = jwt.Verify(jwt.Issue(Alice(), kNow, 60), kNow);
  ASSERT_TRUE(who.ok()) << who.error().detail;
  EXPECT_EQ(who->user_id, "usr_1");
  EXPECT_EQ(who->name, "Alice");
  EXPECT_EQ(who->grade, Grade::kGold);
  EXPECT_EQ(who->role, Role::kUser);
}

TEST(Jwt, RejectsExpiredTokens) {
  JwtCodec jwt("secret");
  const std::string token = jwt.Issue(Alice(), kNow, 60);
  EXPECT_TRUE(jwt.Verify(token, kNow + 59'999).ok());
  EXPECT_EQ(jwt.Verify(token, kNow + 60'000).error().code, ErrorCode::kUnauthenticated);
}

TEST(Jwt, RejectsAnotherSecretAndTampering) {
  const std::string token = JwtCodec("one").Issue(Alice(), kNow, 60);
  EXPECT_FALSE(JwtCodec("two").Verify(token, kNow).ok());
  // Promote to admin in the payload, keep the signature.
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  std::string payload = *Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  payload.replace(payload.find("\"user\""), 6, "\"admin\"");
  const std::string forged =
      token.substr(0, dot1 + 1) + Base64UrlEncode(payload) + token.substr(dot2);
  EXPECT_FALSE(JwtCodec("one").Verify(forged, kNow).ok());
}

TEST(Jwt, RejectsAlgorithmConfusion) {
  JwtCodec jwt("secret");
  const std::string payload = Base64UrlEncode(R"({"sub":"x","exp":9999999999})");
  for (const char* header : {R"({"alg":"none"})", R"({"alg":"HS512"})", R"({"alg":"RS256"})",
                             R"({"alg":"HS256","crit":["x"]})"}) {
    const std::string unsigned_part = Base64UrlEncode(header) + "." + payload;
    const std::string token =
        unsigned_part + "." + Base64UrlEncode(HmacSha256("secret", unsigned_part));
    EXPECT_FALSE(jwt.Verify(token, kNow).ok()) << header;
    EXPECT_FALSE(jwt.Verify(unsigned_part + ".", kNow).ok()) << header;
  }
}

// A holder of the secret could sign any exp; extreme values must neither overflow nor wrap
// into an unexpired token.
TEST(Jwt, ExtremeExpiryIsComparedWithoutOverflow) {
  JwtCodec jwt("secret");
  auto signed_claims = [](const std::string& claims) {
    const std::string unsigned_part =
        Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(claims);
    return unsigned_part + "." + Base64UrlEncode(HmacSha256("secret", unsigned_part));
  };
  EXPECT_TRUE(jwt.Verify(signed_claims(R"({"sub":"x","exp":9223372036854775807})"), kNow).ok());
  for (const char* exp : {"-18446742273709551", "-9223372036854775808", "0", "1790000000"}) {
    const auto who =
        jwt.Verify(signed_claims(std::string(R"({"sub":"x","exp":)") + exp + "}"), kNow);
    ASSERT_FALSE(who.ok()) << exp;
    EXPECT_EQ(who.error().detail, "token has expired") << exp;
  }
}

TEST(Jwt, RejectsMalformedTokens) {
  JwtCodec jwt("secret");
  for (const char* bad : {"", "a", "a.b", "a.b.c.d", "...", "e30.e30.", "e30.e30.e30"}) {
    EXPECT_FALSE(jwt.Verify(bad, kNow).ok()) << bad;
  }
}

TEST(TicketCode, VerifiesOnlyTheTicketItWasSignedFor) {
  TicketCodeSigner signer("key");
  Ticket t;
  t.id = "tkt_1";
  t.reservation_id = "res_1";
  t.schedule_id = "sch_1";
  t.seat_id = "seat_1";
  const std::string code = signer.Sign(t);
  EXPECT_TRUE(signer.Verify(code, t));
  EXPECT_EQ(TicketCodeSigner::TicketIdOf(code), "tkt_1");
  Ticket other = t;
  other.seat_id = "seat_2";
  EXPECT_FALSE(signer.Verify(code, other));
  EXPECT_FALSE(TicketCodeSigner("another key").Verify(code, t));
  std::string tampered = code;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer.Verify(tampered, t));
}

TEST(Password, HashVerifiesOnlyTheSamePassword) {
  const std::string hash = HashPassword("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horsf"));
  EXPECT_NE(HashPassword("correct horse"), hash);  // salted
}

}  // namespace
}  // namespace bo
