// Webhook endpoints: registering, listing and removing the operators' receivers
// (API.md, "Events and webhooks"). Delivery itself is events/webhook_dispatcher.h.
#pragma once

#include <string>
#include <vector>

#include "app/services.h"
#include "common/result.h"
#include "ports/event_delivery.h"

namespace bo {

struct CreateWebhookCommand {
  std::string url;
  std::vector<std::string> event_types;
  std::string secret;  // empty: one is generated
};

// Validates the command (domain/webhook.h; a given secret must be whsec_<base64> of 16 to 64
// bytes) and stores a new endpoint. kInvalidRequest naming the field, or kInvalidState when
// kWebhookEndpointsMax endpoints exist.
Result<WebhookEndpoint> CreateWebhook(WebhookDeliveries& delivery, Services& svc,
                                      CreateWebhookCommand command);

}  // namespace bo
