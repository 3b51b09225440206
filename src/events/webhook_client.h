// The HTTP client of webhook deliveries: one POST per connection, http:// or https://
// (certificate and host name verified), bounded by one deadline for the whole exchange.
// Only the status line and headers of the answer are read. Beast stays inside the .cc file.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace bo {

struct WebhookPost {
  std::string url;  // REQUIRES: valid by ValidateWebhookUrl
  std::string body;
  std::string webhook_id;
  std::int64_t timestamp_seconds = 0;
  std::string signature;  // the webhook-signature value
};

struct WebhookClientOptions {
  int timeout_seconds = 10;  // resolve, connect, TLS, send and the answer's head
  std::size_t response_head_bytes_max = 16'384;
};

// 0 when there was no answer, with the reason.
using WebhookDone = std::function<void(int status, const std::string& error)>;

// Sends `post` on a new strand of `executor` and calls `done` exactly once, on that strand.
// REQUIRES: `tls` outlives the exchange.
void PostWebhook(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
                 WebhookPost post, const WebhookClientOptions& options, WebhookDone done);

}  // namespace bo
