// Wall-clock instants are Unix milliseconds (UTC) in an int64 named with the unit: `expires_at_ms`.
// On the wire they are RFC 3339 strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bo {

using UnixMs = std::int64_t;

// Formats as "2026-12-24T19:00:00Z", with ".123" before the Z when the milliseconds are not zero.
std::string FormatRfc3339(UnixMs t_ms);

// Parses an RFC 3339 date-time ("2026-12-24T19:00:00Z", "...T19:00:00.5+09:00").
// Returns nullopt for anything else, including out-of-range fields.
std::optional<UnixMs> ParseRfc3339(std::string_view text);

}  // namespace bo
