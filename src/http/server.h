// The HTTP/1.1 server: Boost.Beast over Asio with C++20 coroutines, one io_context per thread
// and one SO_REUSEPORT acceptor per thread, so connections spread over the cores and a
// connection stays on one thread. Keep-alive; bodies over body_bytes_max are 413.
//
// A response with open_stream set (http/message.h) is streamed: the server sends its head
// with chunked transfer coding, and each write to the stream becomes a chunk; the connection
// closes when the stream ends. At most streams_max streams are open at once; each buffers at
// most stream_buffer_bytes_max unsent bytes; a client that closes its end ends its stream,
// and Stop() ends them all.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "http/client_address.h"
#include "http/message.h"

namespace bo {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port
  int threads = 2;
  size_t body_bytes_max = 1 << 20;
  size_t header_bytes_max = 16 << 10;
  int idle_seconds_max = 60;  // a keep-alive connection idle longer is closed
  size_t streams_max = 10'000;
  size_t stream_buffer_bytes_max = 64 << 10;
  // Peers whose X-Forwarded-For names the client (HttpRequest::remote_address).
  TrustedProxies trusted_proxies;
};

class HttpServer {
 public:
  // Binds the listening sockets. Throws std::system_error if the address is taken.
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  // The port actually bound.
  unsigned short port() const;

  // Serves on options.threads threads until Stop(); returns when they have finished.
  void Run();

  // Stops accepting, ends every open stream, lets requests in progress finish (at most
  // drain_seconds_max), then closes every connection and makes Run() return. Safe from any
  // thread or signal watcher.
  void Stop(int drain_seconds_max);

  // Requests read and not yet answered (open streams are answered).
  int in_flight() const;

  // Streamed responses open now.
  size_t streams() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bo
