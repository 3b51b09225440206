#include "adapters/redis/client.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <chrono>

#include "common/assert.h"
#include "crypto/encoding.h"

namespace bo::redis {
namespace {

Error Invalid(std::string detail) {
  return MakeError(ErrorCode::kInvalidRequest, std::move(detail));
}

Error Unreachable(std::string detail) {
  return MakeError(ErrorCode::kUnavailable, "redis: " + std::move(detail));
}

timeval TimevalOf(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

RedisReply Copy(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(Copy(*r.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

bool ParseInt(std::string_view text, int min, int max, int* out) {
  if (text.empty() || text.size() > 9) return false;
  int v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Invalid("--redis " + std::string(url) + ": expected redis://host[:port][/db]");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('@') != std::string_view::npos) {
    return Invalid("--redis: credentials in the URL are not supported");
  }
  RedisEndpoint e;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (!ParseInt(rest.substr(slash + 1), 0, 10'000, &e.db)) {
      return Invalid("--redis: the database must be a number from 0");
    }
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Invalid("--redis: unclosed [ in the host");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return Invalid("--redis: expected :port after ]");
      port = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return Invalid("--redis: the host is missing");
  e.host = std::string(host);
  if (!port.empty() && !ParseInt(port, 1, 65535, &e.port)) {
    return Invalid("--redis: the port must be a number from 1 to 65535");
  }
  return e;
}

LuaScript::LuaScript(std::string text) : text_(std::move(text)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text_.data()), text_.size(), digest);
  sha1_hex_ = HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

RedisClient::RedisClient(const RedisEndpoint& endpoint, RedisClientOptions options)
    : endpoint_(endpoint), options_(options) {
  BO_ASSERT(options_.connections_max >= 1 && options_.timeout_ms >= 1);
}

RedisClient::~RedisClient() {
  std::lock_guard lock(mu_);
  BO_ASSERT(static_cast<int>(idle_.size()) == open_);  // no command is running
  for (redisContext* c : idle_) redisFree(c);
}

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisEndpoint& endpoint,
                                                          RedisClientOptions options) {
  std::unique_ptr<RedisClient> client(new RedisClient(endpoint, options));
  auto pong = client->Command({"PING"});
  if (!pong.ok()) return pong.error();
  if (pong->is_error()) return Unreachable("PING: " + pong->text);
  return client;
}

redisContext* RedisClient::Open(std::string* error) {
  redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                            TimevalOf(options_.timeout_ms));
  if (c == nullptr || c->err) {
    *error = "cannot connect to " + endpoint_.host + ":" + std::to_string(endpoint_.port) +
             (c ? ": " + std::string(c->errstr) : "");
    if (c) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, TimevalOf(options_.timeout_ms));
  if (endpoint_.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "SELECT %d", endpoint_.db));
    const bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (!ok) {
      *error = "SELECT " + std::to_string(endpoint_.db) + " failed";
      redisFree(c);
      return nullptr;
    }
  }
  return c;
}

redisContext* RedisClient::Acquire(std::string* error) {
  {
    std::unique_lock lock(mu_);
    const bool ready = freed_.wait_for(lock, std::chrono::milliseconds(options_.timeout_ms), [&] {
      return !idle_.empty() || open_ < options_.connections_max;
    });
    if (!ready) {
      *error = "all " + std::to_string(options_.connections_max) + " connections are busy";
      return nullptr;
    }
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return c;
    }
    ++open_;  // reserved; connected below, outside the lock
  }
  redisContext* c = Open(error);
  if (!c) {
    std::lock_guard lock(mu_);
    --open_;
    freed_.notify_one();
  }
  return c;
}

void RedisClient::Release(redisContext* context, bool broken) {
  std::lock_guard lock(mu_);
  if (broken) {
    redisFree(context);
    --open_;
  } else {
    idle_.push_back(context);
  }
  freed_.notify_one();
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& argv) {
  BO_ASSERT(!argv.empty());
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::string error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    redisContext* c = Acquire(&error);
    if (!c) return Unreachable(error);
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data()));
    if (r == nullptr) {
      // The connection broke (a restarted server, a timeout): drop it, try a new one once.
      error = argv[0] + ": " + (c->errstr[0] ? std::string(c->errstr) : "no reply");
      Release(c, /*broken=*/true);
      continue;
    }
    RedisReply reply = Copy(*r);
    freeReplyObject(r);
    Release(c, /*broken=*/false);
    return reply;
  }
  return Unreachable(error);
}

Result<RedisReply> RedisClient::Eval(const LuaScript& script,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"EVALSHA", script.sha1_hex(), "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = Command(argv);
  if (reply.ok() && reply->is_error() && reply->text.rfind("NOSCRIPT", 0) == 0) {
    argv[0] = "EVAL";
    argv[1] = script.text();  // also caches it for the next EVALSHA
    return Command(argv);
  }
  return reply;
}

}  // namespace bo::redis
