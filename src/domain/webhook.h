// Webhook endpoints: what an operator may register (API.md, "Events and webhooks").
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/event.h"

namespace bo {

inline constexpr size_t kWebhookUrlBytesMax = 2048;
inline constexpr size_t kWebhookEventTypesMax = 16;
inline constexpr size_t kWebhookEndpointsMax = 100;  // registered at once
inline constexpr size_t kWebhookSecretBytesMax = 256;
inline constexpr const char* kWebhookEveryEvent = "*";

// Every event type the outbox records, in the order API.md lists them.
inline constexpr std::array<const char*, 4> kEventTypes = {
    kEventWalletCharged, kEventPaymentCompleted, kEventReservationCancelled,
    kEventReservationExpired};

bool IsKnownEventType(std::string_view type);

// Ok if `url` is an absolute http:// or https:// URL with a host, at most kWebhookUrlBytesMax
// bytes, without whitespace, control characters or a fragment; otherwise kInvalidRequest
// naming "url".
Status ValidateWebhookUrl(std::string_view url);

// Ok if `types` is ["*"] or 1..kWebhookEventTypesMax known types without repeats; otherwise
// kInvalidRequest naming "events".
Status ValidateWebhookEventTypes(const std::vector<std::string>& types);

}  // namespace bo
