// The HTTP request and response as the API sees them: plain structs, with no Beast types, so
// that routing and handlers compile fast and are tested without sockets.
#pragma once

#include <functional>
#include <memory>
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

// The writing end of a streamed response body (Server-Sent Events). Thread-safe: a stream is
// written from any thread; the server sends what was written, in order.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;

  // Queues `bytes` for the client. Returns false, queueing nothing, once the stream is closed:
  // by Close, by the client going away, by the server stopping, or because the bytes waiting
  // to be sent would pass the server's stream_buffer_bytes_max (a client that does not read
  // is dropped rather than buffered without bound).
  virtual bool Write(std::string bytes) = 0;

  // Ends the response once what is queued is sent. Idempotent.
  virtual void Close() = 0;

  virtual bool is_open() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // Set for a streamed response: the server sends the status and headers (and `body`, if
  // any, first), then calls open_stream with the stream the rest is written to. If the server
  // cannot take another stream (streams_max, or it is stopping) it answers 503 instead and
  // never calls open_stream.
  std::function<void(std::shared_ptr<ResponseStream>)> open_stream;
};

// Delivers the response of one request. Must be called exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;

// Handles one request; answers through `respond`, now or later.
using HttpHandler = std::function<void(HttpRequest&&, Respond)>;

}  // namespace bo
