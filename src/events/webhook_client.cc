#include "events/webhook_client.h"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

namespace bo {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct UrlParts {
  bool tls = false;
  std::string host;    // without IPv6 brackets
  std::string port;    // "80" or "443" when the URL names none
  std::string target;  // path and query, "/" when empty
  std::string host_header;
};

UrlParts SplitUrl(const std::string& url) {
  UrlParts p;
  std::string_view rest = url;
  p.tls = rest.starts_with("https://");
  rest.remove_prefix(p.tls ? 8 : 7);
  const size_t slash = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, slash);
  p.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (p.target.front() == '?') p.target.insert(p.target.begin(), '/');
  p.host_header = std::string(authority);
  p.port = p.tls ? "443" : "80";
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    p.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) p.port = std::string(authority.substr(close + 2));
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    p.host = std::string(authority.substr(0, colon));
    p.port = std::string(authority.substr(colon + 1));
  } else {
    p.host = std::string(authority);
  }
  return p;
}

template <class Stream>
asio::awaitable<int> Exchange(Stream& stream, const http::request<http::string_body>& request,
                              std::size_t head_bytes_max) {
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer(head_bytes_max);
  http::response_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(head_bytes_max));
  co_await http::async_read_header(stream, buffer, parser, asio::use_awaitable);
  co_return static_cast<int>(parser.get().result_int());
}

asio::awaitable<int> Post(asio::ssl::context& tls, WebhookPost post, WebhookClientOptions options) {
  const UrlParts url = SplitUrl(post.url);
  const auto executor = co_await asio::this_coro::executor;
  const auto timeout = std::chrono::seconds(options.timeout_seconds);

  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host_header);
  request.set(http::field::user_agent, "boxoffice-webhooks");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  request.set("webhook-id", post.webhook_id);
  request.set("webhook-timestamp", std::to_string(post.timestamp_seconds));
  request.set("webhook-signature", post.signature);
  request.body() = std::move(post.body);
  request.prepare_payload();

  // One deadline for the whole exchange: it cancels the resolver, and the stream's own
  // expiry bounds connecting, the handshake, sending and reading.
  tcp::resolver resolver(executor);
  asio::steady_timer deadline(executor, timeout);
  deadline.async_wait([&resolver](const boost::system::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);

  if (!url.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline.expiry());
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await Exchange(stream, request, options.response_head_bytes_max);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    throw boost::system::system_error(static_cast<int>(::ERR_get_error()),
                                      asio::error::get_ssl_category());
  }
  stream.set_verify_mode(asio::ssl::verify_peer);
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_at(deadline.expiry());
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_return co_await Exchange(stream, request, options.response_head_bytes_max);
}

}  // namespace

void PostWebhook(asio::any_io_executor executor, asio::ssl::context& tls, WebhookPost post,
                 const WebhookClientOptions& options, WebhookDone done) {
  asio::co_spawn(asio::make_strand(executor), Post(tls, std::move(post), options),
                 [done = std::move(done)](std::exception_ptr error, int status) {
                   if (!error) return done(status, "");
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     done(0, e.what());
                   }
                 });
}

}  // namespace bo
