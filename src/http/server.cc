#include "http/server.h"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "http/problem.h"

namespace bo {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The body of a streamed response: written from any thread, sent by its connection's
// coroutine, which waits on `wake` for more. A write posts a cancel of `wake` to the
// connection's (single-threaded) context, so the coroutine either sees the bytes when it next
// takes them or is woken from its wait.
class ServerStream final : public ResponseStream,
                           public std::enable_shared_from_this<ServerStream> {
 public:
  ServerStream(const asio::any_io_executor& executor, size_t buffer_bytes_max)
      : executor_(executor), wake_(executor), buffer_bytes_max_(buffer_bytes_max) {}

  bool Write(std::string bytes) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (pending_.size() + bytes.size() > buffer_bytes_max_) {
        closed_ = true;  // the client does not keep up: drop it
      } else {
        pending_ += bytes;
      }
    }
    Wake();
    return is_open();
  }

  void Close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    Wake();
  }

  bool is_open() const override {
    std::lock_guard lock(mu_);
    return !closed_;
  }

  // On the connection's thread: takes the bytes queued; `*closed` tells whether the stream
  // has ended (what was queued before still goes out).
  std::string Take(bool* closed) {
    std::lock_guard lock(mu_);
    *closed = closed_;
    return std::exchange(pending_, std::string());
  }

  // On the connection's thread: waits until a write or a close (or a spurious wake).
  asio::awaitable<void> WaitForMore() {
    wake_.expires_at(asio::steady_timer::time_point::max());
    auto [ignored] = co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ignored;
  }

 private:
  void Wake() {
    asio::post(executor_, [self = shared_from_this()] { self->wake_.cancel(); });
  }

  asio::any_io_executor executor_;
  asio::steady_timer wake_;
  const size_t buffer_bytes_max_;
  mutable std::mutex mu_;
  std::string pending_;
  bool closed_ = false;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  unsigned short port = 0;
  // Open streams; declared after the contexts, so released before them.
  mutable std::mutex streams_mu;
  std::unordered_set<std::shared_ptr<ServerStream>> streams;

  asio::awaitable<void> Accept(tcp::acceptor& acceptor);
  asio::awaitable<void> Session(tcp::socket socket);
  asio::awaitable<HttpResponse> Dispatch(HttpRequest request);
  asio::awaitable<void> Stream(beast::tcp_stream& stream, HttpResponse response, unsigned version);
  // Registers a new stream; false if streams_max are open or the server is stopping.
  bool AddStream(const std::shared_ptr<ServerStream>& s);
  void RemoveStream(const std::shared_ptr<ServerStream>& s);
};

namespace {

std::string HeaderOf(const http::request<http::string_body>& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string() : std::string(it->value());
}

HttpResponse PlainProblem(ErrorCode code, std::string detail) {
  return ProblemResponse(MakeError(code, std::move(detail)));
}

http::response<http::string_body> WholeResponse(HttpResponse response, unsigned version,
                                                bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), version};
  res.set(http::field::server, "boxoffice");
  res.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) res.set(name, value);
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace

asio::awaitable<HttpResponse> HttpServer::Impl::Dispatch(HttpRequest request) {
  // The handler answers from any thread; the answer resumes this coroutine on its own executor.
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(HttpResponse)>(
      [this, &request](auto completion) {
        auto executor = asio::get_associated_executor(completion);
        auto shared = std::make_shared<decltype(completion)>(std::move(completion));
        handler(std::move(request), [shared, executor](HttpResponse response) {
          asio::post(executor, [shared, response = std::move(response)]() mutable {
            (*shared)(std::move(response));
          });
        });
      },
      asio::use_awaitable);
}

bool HttpServer::Impl::AddStream(const std::shared_ptr<ServerStream>& s) {
  std::lock_guard lock(streams_mu);
  if (stopping.load() || streams.size() >= options.streams_max) return false;
  streams.insert(s);
  return true;
}

void HttpServer::Impl::RemoveStream(const std::shared_ptr<ServerStream>& s) {
  std::lock_guard lock(streams_mu);
  streams.erase(s);
}

asio::awaitable<void> HttpServer::Impl::Stream(beast::tcp_stream& stream, HttpResponse response,
                                               unsigned version) {
  auto s = std::make_shared<ServerStream>(co_await asio::this_coro::executor,
                                          options.stream_buffer_bytes_max);
  if (!AddStream(s)) {
    HttpResponse refused = PlainProblem(
        ErrorCode::kUnavailable,
        stopping.load() ? "the server is stopping" : "too many open streams; retry later");
    refused.headers.emplace_back("Retry-After", "1");
    auto res = WholeResponse(std::move(refused), version, false);
    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return;
  }
  http::response<http::empty_body> head{static_cast<http::status>(response.status), version};
  head.set(http::field::server, "boxoffice");
  head.set(http::field::content_type, response.content_type);
  head.set(http::field::cache_control, "no-cache");
  for (auto& [name, value] : response.headers) head.set(name, value);
  head.keep_alive(false);
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer{head};
  stream.expires_after(std::chrono::seconds(options.idle_seconds_max));
  auto [head_ec, head_bytes] =
      co_await http::async_write_header(stream, serializer, asio::as_tuple(asio::use_awaitable));
  (void)head_bytes;
  if (!head_ec) {
    if (!response.body.empty()) s->Write(std::move(response.body));
    response.open_stream(s);
    // The client sends nothing more on a stream: readable means it closed (or misbehaves).
    stream.socket().async_wait(tcp::socket::wait_read, [s](beast::error_code) { s->Close(); });
    for (;;) {
      bool closed = false;
      std::string chunk = s->Take(&closed);
      if (!chunk.empty()) {
        // A write that cannot finish in idle_seconds_max drops the client.
        stream.expires_after(std::chrono::seconds(options.idle_seconds_max));
        auto [ec, written] = co_await asio::async_write(
            stream, http::make_chunk(asio::buffer(chunk)), asio::as_tuple(asio::use_awaitable));
        (void)written;
        if (ec) break;
        continue;
      }
      if (closed) {
        stream.expires_after(std::chrono::seconds(options.idle_seconds_max));
        auto [ec, written] = co_await asio::async_write(stream, http::make_chunk_last(),
                                                        asio::as_tuple(asio::use_awaitable));
        (void)ec, (void)written;
        break;
      }
      stream.expires_never();
      co_await s->WaitForMore();
    }
  }
  s->Close();
  RemoveStream(s);
}

asio::awaitable<void> HttpServer::Impl::Session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  std::string remote;
  {
    beast::error_code ec;
    auto endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) remote = endpoint.address().to_string();
  }
  stream.socket().set_option(tcp::no_delay(true));
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.body_bytes_max);
    parser.header_limit(static_cast<std::uint32_t>(options.header_bytes_max));
    stream.expires_after(std::chrono::seconds(options.idle_seconds_max));
    auto [ec, bytes] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)bytes;
    HttpResponse response;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec == http::error::body_limit) {
      response =
          PlainProblem(ErrorCode::kPayloadTooLarge,
                       "body: larger than " + std::to_string(options.body_bytes_max) + " bytes");
    } else if (ec == http::error::header_limit) {
      response = PlainProblem(ErrorCode::kPayloadTooLarge, "headers: too large");
    } else if (ec == http::error::end_of_stream || ec == asio::error::eof ||
               ec == asio::error::connection_reset || ec == beast::error::timeout ||
               ec == asio::error::operation_aborted) {
      co_return;
    } else if (ec) {
      response =
          PlainProblem(ErrorCode::kInvalidRequest, "malformed HTTP request: " + ec.message());
    } else {
      auto& req = parser.get();
      keep_alive = req.keep_alive() && !stopping.load();
      version = req.version();
      HttpRequest r;
      r.method = std::string(req.method_string());
      const std::string_view target = req.target();
      const size_t q = target.find('?');
      r.path = std::string(target.substr(0, q));
      if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
      r.authorization = HeaderOf(req, "Authorization");
      r.content_type = HeaderOf(req, "Content-Type");
      if (auto it = req.find("Idempotency-Key"); it != req.end()) {
        r.has_idempotency_key = true;
        r.idempotency_key = std::string(it->value());
      }
      r.queue_token = HeaderOf(req, "Queue-Token");
      r.remote_address = options.trusted_proxies.empty() ? remote
                                                         : options.trusted_proxies.ClientAddress(
                                                               remote, req["X-Forwarded-For"]);
      r.body = std::move(req.body());
      in_flight.fetch_add(1);
      response = co_await Dispatch(std::move(r));
      in_flight.fetch_sub(1);
      if (response.open_stream) {
        co_await Stream(stream, std::move(response), version);
        break;  // a stream ends its connection
      }
    }

    auto res = WholeResponse(std::move(response), version, keep_alive);
    stream.expires_after(std::chrono::seconds(options.idle_seconds_max));
    auto [write_ec, written] =
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    (void)written;
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> HttpServer::Impl::Accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || stopping.load()) co_return;
    if (ec) {
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), Session(std::move(socket)), asio::detached);
  }
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler) : impl_(new Impl) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  const int threads = std::max(1, impl_->options.threads);
  tcp::endpoint endpoint(asio::ip::make_address(impl_->options.host), impl_->options.port);
  for (int i = 0; i < threads; ++i) {
    auto ctx = std::make_unique<asio::io_context>(1);
    auto acceptor = std::make_unique<tcp::acceptor>(*ctx);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    int one = 1;
    ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    if (i == 0) {
      impl_->port = acceptor->local_endpoint().port();
      endpoint.port(impl_->port);  // the others share the port the first one got
    }
    impl_->contexts.push_back(std::move(ctx));
    impl_->acceptors.push_back(std::move(acceptor));
  }
}

HttpServer::~HttpServer() = default;

unsigned short HttpServer::port() const { return impl_->port; }

int HttpServer::in_flight() const { return impl_->in_flight.load(); }

size_t HttpServer::streams() const {
  std::lock_guard lock(impl_->streams_mu);
  return impl_->streams.size();
}

void HttpServer::Run() {
  std::vector<std::thread> threads;
  for (size_t i = 0; i < impl_->contexts.size(); ++i) {
    asio::co_spawn(*impl_->contexts[i], impl_->Accept(*impl_->acceptors[i]), asio::detached);
  }
  for (size_t i = 1; i < impl_->contexts.size(); ++i) {
    threads.emplace_back([this, i] { impl_->contexts[i]->run(); });
  }
  impl_->contexts[0]->run();
  for (auto& t : threads) t.join();
}

void HttpServer::Stop(int drain_seconds_max) {
  impl_->stopping = true;
  {
    std::lock_guard lock(impl_->streams_mu);
    for (const auto& s : impl_->streams) s->Close();
  }
  for (size_t i = 0; i < impl_->acceptors.size(); ++i) {
    asio::post(*impl_->contexts[i], [a = impl_->acceptors[i].get()] {
      beast::error_code ignored;
      a->close(ignored);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drain_seconds_max);
  while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Give the last responses a moment to be written before the connections close.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto& ctx : impl_->contexts) ctx->stop();
}

}  // namespace bo
