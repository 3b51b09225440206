#include "crypto/webhook_signature.h"

#include "crypto/encoding.h"

namespace bo {

std::string NewWebhookSecret() {
  return std::string(kWebhookSecretPrefix) + Base64Encode(RandomBytes(kWebhookSecretKeyBytes));
}

std::optional<std::string> WebhookSecretKey(std::string_view secret) {
  if (secret.starts_with(kWebhookSecretPrefix)) secret.remove_prefix(kWebhookSecretPrefix.size());
  auto key = Base64Decode(secret);
  if (!key || key->size() < kWebhookSecretKeyBytesMin || key->size() > kWebhookSecretKeyBytesMax) {
    return std::nullopt;
  }
  return key;
}

std::string WebhookSignature(std::string_view key, std::string_view msg_id,
                             std::int64_t timestamp_seconds, std::string_view body) {
  std::string signed_content;
  signed_content.reserve(msg_id.size() + body.size() + 24);
  signed_content.append(msg_id);
  signed_content.push_back('.');
  signed_content.append(std::to_string(timestamp_seconds));
  signed_content.push_back('.');
  signed_content.append(body);
  return "v1," + Base64Encode(HmacSha256(key, signed_content));
}

}  // namespace bo
