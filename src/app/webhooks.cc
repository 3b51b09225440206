#include "app/webhooks.h"

#include "crypto/webhook_signature.h"
#include "domain/webhook.h"

namespace bo {

Result<WebhookEndpoint> CreateWebhook(WebhookDeliveries& delivery, Services& svc,
                                      CreateWebhookCommand command) {
  if (auto ok = ValidateWebhookUrl(command.url); !ok) return ok.error();
  if (auto ok = ValidateWebhookEventTypes(command.event_types); !ok) return ok.error();
  if (command.secret.empty()) {
    command.secret = NewWebhookSecret();
  } else if (!command.secret.starts_with(kWebhookSecretPrefix) ||
             !WebhookSecretKey(command.secret)) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "secret: must be whsec_ and the base64 of 16 to 64 bytes");
  }
  if (delivery.ListEndpoints(static_cast<int>(kWebhookEndpointsMax)).size() >=
      kWebhookEndpointsMax) {
    return MakeError(ErrorCode::kInvalidState, "at most " + std::to_string(kWebhookEndpointsMax) +
                                                   " webhook endpoints may be registered");
  }
  WebhookEndpoint endpoint;
  endpoint.id = svc.ids.Next("whk");
  endpoint.url = std::move(command.url);
  endpoint.event_types = std::move(command.event_types);
  endpoint.secret = std::move(command.secret);
  endpoint.created_at_ms = svc.clock.NowMs();
  delivery.InsertEndpoint(endpoint);
  return endpoint;
}

}  // namespace bo
