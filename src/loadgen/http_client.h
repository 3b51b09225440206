// The load generator's HTTP/1.1 client: one kept-alive connection per HttpConnection, over
// Boost.Beast and Asio coroutines. Beast stays inside http_client.cc (it is slow to compile).
// The request, its header storage and the read buffer are kept between requests; per request
// only Beast's own header fields and the answer's body are allocated.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bo::loadgen {

// Where the load goes: "http://HOST[:PORT][/]" (no path, no https).
struct TargetUrl {
  std::string host;         // a name or an IPv4 address, or an IPv6 address without brackets
  std::string port;         // "80" when the URL names none
  std::string host_header;  // the Host header: as written in the URL
};

// kInvalidRequest with the reason if `url` is not of that form.
Result<TargetUrl> ParseTargetUrl(std::string_view url);

// Resolves the target's addresses. Blocks. kUnavailable if the name does not resolve.
Result<std::vector<boost::asio::ip::tcp::endpoint>> ResolveTarget(const TargetUrl& target);

struct HttpConnectionOptions {
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // REQUIRES: not empty
  std::string host_header;
  int timeout_seconds = 30;                 // for connecting, and for each request and its answer
  std::size_t body_bytes_max = 256u << 20;  // a larger answer is an error
};

enum class HttpMethod { kGet, kPost, kPut };

// One request. The views must stay valid until Send returns.
struct HttpCall {
  HttpMethod method = HttpMethod::kGet;
  std::string_view target;           // path and query: "/v1/concerts?limit=20"
  std::string_view body;             // POST, PUT: a JSON document, sent as application/json
  std::string_view bearer_token;     // empty: no Authorization header
  std::string_view idempotency_key;  // empty: no Idempotency-Key header
  std::string_view queue_token;      // empty: no Queue-Token header
};

// The answer to one HttpCall. The views point into the connection and stay valid until its
// next Send or Connect.
struct HttpAnswer {
  int status = 0;  // 0: no answer, see `error`
  std::string_view body;
  std::string_view content_type;
  std::string_view error;  // why there is no answer
  bool answered() const { return status != 0; }
};

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor,
                 std::shared_ptr<const HttpConnectionOptions> options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Connects unless connected. Returns false, with last_error() saying why, if it could not.
  boost::asio::awaitable<bool> Connect();

  // Sends `call` and reads its answer, connecting first if the connection is not open (never
  // opened, or closed by the server or by an earlier error). A transport error, a timeout or
  // an answer that is not HTTP closes the connection and answers status 0; the request is
  // never sent twice, so a POST is never repeated behind the caller's back.
  // REQUIRES: no other Connect or Send of this connection is in progress.
  boost::asio::awaitable<HttpAnswer> Send(const HttpCall& call);

  std::string_view last_error() const;
  // How many times a TCP connection was opened.
  std::int64_t connects() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bo::loadgen
