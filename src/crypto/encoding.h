// Byte encodings used by tokens, signatures and cursors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bo {

std::string Base64Encode(std::string_view bytes);                   // standard, padded
std::string Base64UrlEncode(std::string_view bytes);                // URL-safe, unpadded
std::optional<std::string> Base64Decode(std::string_view text);     // standard, padding optional
std::optional<std::string> Base64UrlDecode(std::string_view text);  // URL-safe, padding optional
std::string HexEncode(std::string_view bytes);

// HMAC-SHA256 of `message` keyed by `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view message);
// SHA-256 of `bytes`: 32 raw bytes.
std::string Sha256(std::string_view bytes);
// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// `n` bytes from the operating system's CSPRNG.
std::string RandomBytes(size_t n);

}  // namespace bo
