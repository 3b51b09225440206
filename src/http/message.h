// The HTTP request and response as the API sees them: plain structs, with no Beast types, so
// that routing and handlers compile fast and are tested without sockets.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bo {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;   // after '?', undecoded
  std::string body;
  // The headers the API reads.
  std::string authorization;
  std::string content_type;
  std::string idempotency_key;
  bool has_idempotency_key = false;
  std::string queue_token;
  std::string remote_address;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Delivers the response of one request. Must be called exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;

// Handles one request; answers through `respond`, now or later.
using HttpHandler = std::function<void(HttpRequest&&, Respond)>;

}  // namespace bo
