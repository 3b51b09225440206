// Standard Webhooks signatures (https://www.standardwebhooks.com): a secret "whsec_<base64>"
// whose decoded bytes key HMAC-SHA256 over "<msg id>.<unix seconds>.<body>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bo {

inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";
inline constexpr size_t kWebhookSecretKeyBytes = 24;  // of a generated secret
inline constexpr size_t kWebhookSecretKeyBytesMin = 16;
inline constexpr size_t kWebhookSecretKeyBytesMax = 64;

// "whsec_" and the base64 of kWebhookSecretKeyBytes random bytes.
std::string NewWebhookSecret();

// The key bytes of `secret` ("whsec_<base64>" or plain base64), or nullopt if it does not
// decode to kWebhookSecretKeyBytesMin..kWebhookSecretKeyBytesMax bytes.
std::optional<std::string> WebhookSecretKey(std::string_view secret);

// The webhook-signature header value: "v1," and the base64 of
// HMAC-SHA256(key, msg_id + "." + timestamp_seconds + "." + body).
std::string WebhookSignature(std::string_view key, std::string_view msg_id,
                             std::int64_t timestamp_seconds, std::string_view body);

}  // namespace bo
