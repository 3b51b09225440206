#include "domain/webhook.h"

#include <algorithm>

namespace bo {
namespace {

Error InvalidField(std::string detail) {
  return MakeError(ErrorCode::kInvalidRequest, std::move(detail));
}

}  // namespace

bool IsKnownEventType(std::string_view type) {
  return std::any_of(kEventTypes.begin(), kEventTypes.end(),
                     [type](const char* known) { return type == known; });
}

Status ValidateWebhookUrl(std::string_view url) {
  if (url.empty() || url.size() > kWebhookUrlBytesMax) {
    return InvalidField("url: must be 1 to " + std::to_string(kWebhookUrlBytesMax) + " bytes long");
  }
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return InvalidField("url: contains whitespace or a control byte");
  }
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return InvalidField("url: must start with http:// or https://");
  }
  if (url.find('#') != std::string_view::npos) return InvalidField("url: must not have a fragment");
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidField("url: must not carry credentials");
  }
  std::string_view host = authority;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return InvalidField("url: bad IPv6 host");
    const std::string_view after = host.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return InvalidField("url: bad IPv6 host");
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) > 65535) {
      return InvalidField("url: the port must be 1 to 65535");
    }
  }
  if (host.empty()) return InvalidField("url: must name a host");
  return Ok();
}

Status ValidateWebhookEventTypes(const std::vector<std::string>& types) {
  if (types.empty() || types.size() > kWebhookEventTypesMax) {
    return InvalidField("events: must list 1 to " + std::to_string(kWebhookEventTypesMax) +
                        " event types, or [\"*\"]");
  }
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string& t = types[i];
    if (t == kWebhookEveryEvent) {
      if (types.size() != 1) return InvalidField("events: \"*\" must be the only entry");
      continue;
    }
    if (!IsKnownEventType(t)) {
      std::string known;
      for (const char* k : kEventTypes) known += (known.empty() ? "" : ", ") + std::string(k);
      return InvalidField("events[" + std::to_string(i) + "]: unknown event type; known: " + known +
                          ", or \"*\"");
    }
    if (std::find(types.begin(), types.begin() + static_cast<std::ptrdiff_t>(i), t) !=
        types.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidField("events[" + std::to_string(i) + "]: repeats " + t);
    }
  }
  return Ok();
}

}  // namespace bo
