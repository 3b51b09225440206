#include "loadgen/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <chrono>
#include <optional>

namespace bo::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Error BadUrl(std::string_view url, std::string_view why) {
  return MakeError(ErrorCode::kInvalidRequest, "--target " + std::string(url) + ": " +
                                                   std::string(why) + " (want http://HOST[:PORT])");
}

}  // namespace

Result<TargetUrl> ParseTargetUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return BadUrl(url, "not an http:// URL");
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return BadUrl(url, "has a path");
  if (rest.find_first_of("?#@ ") != std::string_view::npos) {
    return BadUrl(url, "has a query, a fragment, credentials or a space");
  }
  TargetUrl t;
  t.host_header = std::string(rest);
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unclosed [");
    t.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "junk after ]");
      port = after.substr(1);
    }
  } else {
    const size_t colon = rest.rfind(':');
    t.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
    if (t.host.find(':') != std::string::npos) return BadUrl(url, "IPv6 needs [brackets]");
  }
  if (t.host.empty()) return BadUrl(url, "no host");
  if (port.empty() && t.host_header.back() == ':') return BadUrl(url, "empty port");
  if (!port.empty()) {
    int n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535) {
      return BadUrl(url, "the port must be 1 to 65535");
    }
    t.port = std::string(port);
  } else {
    t.port = "80";
  }
  return t;
}

Result<std::vector<tcp::endpoint>> ResolveTarget(const TargetUrl& target) {
  asio::io_context ctx;
  tcp::resolver resolver(ctx);
  beast::error_code ec;
  auto results = resolver.resolve(target.host, target.port, ec);
  if (ec || results.empty()) {
    return MakeError(ErrorCode::kUnavailable, "cannot resolve " + target.host + ": " +
                                                  (ec ? ec.message() : std::string("no address")));
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  return endpoints;
}

struct HttpConnection::Impl {
  Impl(asio::any_io_executor executor, std::shared_ptr<const HttpConnectionOptions> opts)
      : options(std::move(opts)), stream(std::move(executor)) {
    request.version(11);
    request.set(http::field::host, options->host_header);
    request.set(http::field::user_agent, "boxoffice-bench");
  }

  std::chrono::seconds timeout() const { return std::chrono::seconds(options->timeout_seconds); }

  void Close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
    buffer.clear();
  }

  HttpAnswer Fail(std::string_view what, const beast::error_code& ec) {
    error.assign(what);
    error += ": ";
    error += ec.message();
    Close();
    HttpAnswer answer;
    answer.error = error;
    return answer;
  }

  std::shared_ptr<const HttpConnectionOptions> options;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  // Kept between requests so that their header storage is reused.
  http::request<http::string_body> request;
  std::string authorization;
  // A parser reads one message; the last one is kept because the answer's views point into it.
  std::optional<http::response_parser<http::string_body>> parser;
  std::string error;
  bool connected = false;
  std::int64_t connects = 0;
};

HttpConnection::HttpConnection(asio::any_io_executor executor,
                               std::shared_ptr<const HttpConnectionOptions> options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpConnection::~HttpConnection() = default;

std::string_view HttpConnection::last_error() const { return impl_->error; }

std::int64_t HttpConnection::connects() const { return impl_->connects; }

asio::awaitable<bool> HttpConnection::Connect() {
  Impl& s = *impl_;
  if (s.connected) co_return true;
  s.parser.reset();
  s.buffer.clear();
  s.stream.expires_after(s.timeout());
  auto [ec, endpoint] =
      co_await s.stream.async_connect(s.options->endpoints, asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (ec) {
    s.Fail("connect", ec);
    co_return false;
  }
  beast::error_code ignored;
  s.stream.socket().set_option(tcp::no_delay(true), ignored);
  s.connected = true;
  ++s.connects;
  co_return true;
}

asio::awaitable<HttpAnswer> HttpConnection::Send(const HttpCall& call) {
  Impl& s = *impl_;
  if (!s.connected && !co_await Connect()) {
    HttpAnswer answer;
    answer.error = s.error;
    co_return answer;
  }
  auto& req = s.request;
  const bool has_body = call.method != HttpMethod::kGet;
  req.method(call.method == HttpMethod::kPost  ? http::verb::post
             : call.method == HttpMethod::kPut ? http::verb::put
                                               : http::verb::get);
  req.target(call.target);
  if (call.bearer_token.empty()) {
    req.erase(http::field::authorization);
  } else {
    s.authorization.assign("Bearer ");
    s.authorization.append(call.bearer_token);
    req.set(http::field::authorization, s.authorization);
  }
  if (call.idempotency_key.empty()) {
    req.erase("Idempotency-Key");
  } else {
    req.set("Idempotency-Key", call.idempotency_key);
  }
  if (call.queue_token.empty()) {
    req.erase("Queue-Token");
  } else {
    req.set("Queue-Token", call.queue_token);
  }
  if (has_body) {
    req.set(http::field::content_type, "application/json");
    req.body().assign(call.body);
  } else {
    req.erase(http::field::content_type);
    req.body().clear();
  }
  req.prepare_payload();

  s.stream.expires_after(s.timeout());
  auto [write_ec, written] =
      co_await http::async_write(s.stream, req, asio::as_tuple(asio::use_awaitable));
  (void)written;
  if (write_ec) co_return s.Fail("write", write_ec);

  s.parser.emplace();
  s.parser->body_limit(s.options->body_bytes_max);
  auto [read_ec, read] =
      co_await http::async_read(s.stream, s.buffer, *s.parser, asio::as_tuple(asio::use_awaitable));
  (void)read;
  if (read_ec) co_return s.Fail("read", read_ec);

  const auto& res = s.parser->get();
  HttpAnswer answer;
  answer.status = static_cast<int>(res.result_int());
  answer.body = res.body();
  if (auto it = res.find(http::field::content_type); it != res.end()) {
    answer.content_type = it->value();
  }
  if (answer.status == 0) co_return s.Fail("read", http::error::bad_status);
  // The answer's views point into the parser, which Close() leaves alone.
  if (!res.keep_alive()) s.Close();
  co_return answer;
}

}  // namespace bo::loadgen
