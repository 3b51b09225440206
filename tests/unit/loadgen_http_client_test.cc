// The load generator's HTTP client against a tiny Beast server in the test: keep-alive, what
// the requests carry, reconnecting after the server closes, and a lost answer.
#include "loadgen/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/run_to_completion.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Answers every request with 200 and a body naming its method, target and headers. With
// close_after_each, it answers "Connection: close" and closes; with drop_target, it closes
// without answering requests for that target.
class TinyServer {
 public:
  explicit TinyServer(bool close_after_each = false, std::string drop_target = "")
      : close_after_each_(close_after_each),
        drop_target_(std::move(drop_target)),
        acceptor_(ctx_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ctx_, Accept(), asio::detached);
    thread_ = std::thread([this] { ctx_.run(); });
  }
  ~TinyServer() {
    ctx_.stop();
    thread_.join();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  int accepted() const { return accepted_.load(); }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(ctx_, Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] =
          co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      if (!drop_target_.empty() && req.target() == drop_target_) {
        stream.close();
        co_return;
      }
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "text/plain");
      std::string body = std::string(req.method_string()) + " " + std::string(req.target());
      for (const char* h : {"Authorization", "Idempotency-Key", "Content-Type", "Host"}) {
        if (auto it = req.find(h); it != req.end()) {
          body += "|" + std::string(h) + "=" + std::string(it->value());
        }
      }
      body += "|body=" + req.body();
      res.body() = body;
      res.keep_alive(!close_after_each_);
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || close_after_each_) co_return;
    }
  }

  bool close_after_each_;
  std::string drop_target_;
  asio::io_context ctx_;
  tcp::acceptor acceptor_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

std::shared_ptr<const HttpConnectionOptions> OptionsFor(unsigned short port) {
  auto o = std::make_shared<HttpConnectionOptions>();
  o->endpoints = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)};
  o->host_header = "127.0.0.1:" + std::to_string(port);
  o->timeout_seconds = 30;
  return o;
}

struct Exchange {
  int status;
  std::string body;
  std::string error;
};

// Sends each call in turn on one connection; returns the answers and the connects made.
std::pair<std::vector<Exchange>, std::int64_t> SendAll(unsigned short port,
                                                       const std::vector<HttpCall>& calls) {
  asio::io_context ctx;
  HttpConnection connection(ctx.get_executor(), OptionsFor(port));
  auto run = [&]() -> asio::awaitable<std::vector<Exchange>> {
    std::vector<Exchange> out;
    for (const auto& call : calls) {
      const HttpAnswer a = co_await connection.Send(call);
      out.push_back(Exchange{a.status, std::string(a.body), std::string(a.error)});
    }
    co_return out;
  };
  auto answers = RunToCompletion(ctx, run());
  return {std::move(answers), connection.connects()};
}

HttpCall Get(std::string_view target) {
  HttpCall c;
  c.target = target;
  return c;
}

TEST(loadgen_HttpClient, KeepsOneConnectionAlive) {
  TinyServer server;
  const auto [answers, connects] = SendAll(server.port(), {Get("/a"), Get("/b"), Get("/c")});
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& a : answers) EXPECT_EQ(a.status, 200);
  EXPECT_EQ(answers[1].body.substr(0, 6), "GET /b");
  EXPECT_EQ(connects, 1);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(loadgen_HttpClient, SendsTheBodyAndHeadersOfAPost) {
  TinyServer server;
  HttpCall post;
  post.method = HttpMethod::kPost;
  post.target = "/v1/payments";
  post.body = R"({"x":1})";
  post.bearer_token = "tok";
  post.idempotency_key = "key-1";
  const auto [answers, connects] = SendAll(server.port(), {post, Get("/after")});
  ASSERT_EQ(answers.size(), 2u);
  const std::string host = "Host=127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(answers[0].body,
            "POST /v1/payments|Authorization=Bearer tok|Idempotency-Key=key-1|"
            "Content-Type=application/json|" +
                host + R"(|body={"x":1})");
  // The next GET carries none of the POST's headers.
  EXPECT_EQ(answers[1].body, "GET /after|" + host + "|body=");
  EXPECT_EQ(connects, 1);
}

TEST(loadgen_HttpClient, ReconnectsWhenTheServerCloses) {
  TinyServer server(/*close_after_each=*/true);
  const auto [answers, connects] = SendAll(server.port(), {Get("/a"), Get("/b"), Get("/c")});
  for (const auto& a : answers) EXPECT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(connects, 3);
  EXPECT_EQ(server.accepted(), 3);
}

TEST(loadgen_HttpClient, ALostAnswerIsStatusZeroAndTheNextCallReconnects) {
  TinyServer server(false, "/drop");
  const auto [answers, connects] = SendAll(server.port(), {Get("/a"), Get("/drop"), Get("/c")});
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[1].status, 0);
  EXPECT_FALSE(answers[1].error.empty());
  EXPECT_EQ(answers[2].status, 200);
  EXPECT_EQ(connects, 2);
}

TEST(loadgen_HttpClient, ARefusedConnectionIsStatusZero) {
  unsigned short port;
  {
    TinyServer server;
    port = server.port();
  }  // closed: nothing listens there now
  const auto [answers, connects] = SendAll(port, {Get("/a")});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 0);
  EXPECT_NE(answers[0].error.find("connect"), std::string::npos);
  EXPECT_EQ(connects, 0);
}

TEST(loadgen_TargetUrl, ParsesHostAndPort) {
  auto t = ParseTargetUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "8080");
  EXPECT_EQ(t->host_header, "127.0.0.1:8080");
  t = ParseTargetUrl("http://localhost/");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "localhost");
  EXPECT_EQ(t->port, "80");
  t = ParseTargetUrl("http://[::1]:9000");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "9000");
}

TEST(loadgen_TargetUrl, RefusesWhatItCannotDrive) {
  for (const char* bad :
       {"https://x:1", "127.0.0.1:8080", "http://", "http://x:0", "http://x:99999",
        "http://x:", "http://x/v1", "http://x?a=b", "http://::1:80", "http://[::1"}) {
    EXPECT_FALSE(ParseTargetUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace bo::loadgen
