#include "common/time.h"

#include <gtest/gtest.h>

namespace bo {
namespace {

TEST(Rfc3339, FormatsWholeSecondsWithoutFraction) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1'798'138'800'000), "2026-12-24T19:00:00Z");
}

TEST(Rfc3339, FormatsMilliseconds) { EXPECT_EQ(FormatRfc3339(1'500), "1970-01-01T00:00:01.500Z"); }

TEST(Rfc3339, RoundTrips) {
  for (UnixMs t :
       {UnixMs{0}, UnixMs{951'782'400'000}, UnixMs{1'798'138'800'123}, UnixMs{-86'400'000}}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), t) << t;
  }
}

TEST(Rfc3339, AppliesOffsets) {
  EXPECT_EQ(ParseRfc3339("2026-12-25T04:00:00+09:00"), ParseRfc3339("2026-12-24T19:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-12-24T18:30:00-00:30"), ParseRfc3339("2026-12-24T19:00:00Z"));
}

TEST(Rfc3339, RejectsMalformedAndOutOfRange) {
  for (const char* bad :
       {"", "2026-12-24", "2026-12-24T19:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-12-24T24:00:00Z", "2026-12-24T19:00:00.Z", "2026-12-24T19:00:00Zjunk",
        "2026-12-24 19:00:00Z", "２026-12-24T19:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").has_value());
}

}  // namespace
}  // namespace bo
