#include "lockbench/redis.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>
#include <memory>
#include <string>

#include "common/assert.h"

namespace bo::lockbench::redis {
namespace {

constexpr std::string_view kScheme = "redis://";
// Arguments a command may take; more is a programming error.
constexpr size_t kArgsMax = 8;

// KEYS[1] is the lock, ARGV[1] the token its holder set: delete it only if it is still ours.
constexpr std::string_view kCompareAndDeleteScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
    "else return 0 end";

Result<int> ParseNumber(std::string_view text, int min, int max, const char* what) {
  int value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() ||
      value < min || value > max) {
    return MakeError(ErrorCode::kInvalidRequest,
                     std::string("redis URL: bad ") + what + " '" + std::string(text) + "'");
  }
  return value;
}

timeval ToTimeval(int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  return tv;
}

std::string ReplyText(const redisReply* reply) { return std::string(reply->str, reply->len); }

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

Result<Address> ParseUrl(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) {
    return MakeError(ErrorCode::kInvalidRequest, "redis URL must start with redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  Address address;
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    const size_t colon = credentials.find(':');
    // redis://password@host is accepted too; a user name before ':' is ignored (Redis < 6).
    address.password =
        std::string(colon == std::string_view::npos ? credentials : credentials.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  const size_t slash = rest.find('/');
  std::string_view host_port = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto db = ParseNumber(rest.substr(slash + 1), 0, 1 << 20, "database number");
    if (!db) return db.error();
    address.db = *db;
  }
  const size_t colon = host_port.rfind(':');
  if (colon != std::string_view::npos) {
    auto port = ParseNumber(host_port.substr(colon + 1), 1, 65535, "port");
    if (!port) return port.error();
    address.port = *port;
    host_port = host_port.substr(0, colon);
  }
  if (host_port.empty()) {
    return MakeError(ErrorCode::kInvalidRequest, "redis URL has no host");
  }
  address.host = std::string(host_port);
  return address;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url, int timeout_ms) {
  BO_ASSERT(timeout_ms > 0);
  auto address = ParseUrl(url);
  if (!address) return address.error();
  const std::string where = address->host + ":" + std::to_string(address->port);
  redisContext* context =
      redisConnectWithTimeout(address->host.c_str(), address->port, ToTimeval(timeout_ms));
  if (context == nullptr) return MakeError(ErrorCode::kUnavailable, "Redis: out of memory");
  if (context->err != 0) {
    std::string message = "Redis at " + where + ": " + context->errstr;
    redisFree(context);
    return MakeError(ErrorCode::kUnavailable, std::move(message));
  }
  if (redisSetTimeout(context, ToTimeval(timeout_ms)) != REDIS_OK) {
    redisFree(context);
    return MakeError(ErrorCode::kUnavailable, "Redis at " + where + ": cannot set a timeout");
  }
  std::unique_ptr<Connection> connection(new Connection(context));

  std::string error;
  auto check = [&](ReplyPtr reply, const char* what) -> Status {
    if (reply == nullptr) {
      return MakeError(ErrorCode::kUnavailable, "Redis at " + where + ": " + what + ": " + error);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      return MakeError(ErrorCode::kUnavailable,
                       "Redis at " + where + ": " + what + ": " + ReplyText(reply.get()));
    }
    return Ok();
  };
  if (!address->password.empty()) {
    Status auth = check(ReplyPtr(connection->Command({"AUTH", address->password}, &error)), "AUTH");
    if (!auth) return auth.error();
  }
  if (address->db != 0) {
    const std::string db = std::to_string(address->db);
    Status select = check(ReplyPtr(connection->Command({"SELECT", db}, &error)), "SELECT");
    if (!select) return select.error();
  }
  ReplyPtr loaded(connection->Command({"SCRIPT", "LOAD", kCompareAndDeleteScript}, &error));
  if (loaded != nullptr && loaded->type == REDIS_REPLY_STRING) {
    connection->script_sha_ = ReplyText(loaded.get());
  } else {
    Status load = check(std::move(loaded), "SCRIPT LOAD");
    if (!load) return load.error();
    return MakeError(ErrorCode::kUnavailable, "Redis at " + where + ": SCRIPT LOAD: no digest");
  }
  return connection;
}

Connection::~Connection() { redisFree(context_); }

bool Connection::broken() const { return context_->err != 0; }

redisReply* Connection::Command(std::initializer_list<std::string_view> args, std::string* error) {
  BO_ASSERT(args.size() <= kArgsMax);
  if (broken()) {
    *error = std::string("connection lost earlier: ") + context_->errstr;
    return nullptr;
  }
  const char* argv[kArgsMax];
  size_t lengths[kArgsMax];
  size_t i = 0;
  for (const std::string_view arg : args) {
    argv[i] = arg.data();
    lengths[i] = arg.size();
    ++i;
  }
  auto* reply =
      static_cast<redisReply*>(redisCommandArgv(context_, static_cast<int>(i), argv, lengths));
  if (reply == nullptr) *error = context_->errstr;
  return reply;
}

Result<std::int64_t> Connection::IntegerCommand(std::initializer_list<std::string_view> args) {
  std::string error;
  ReplyPtr reply(Command(args, &error));
  if (reply == nullptr) return MakeError(ErrorCode::kUnavailable, "Redis: " + error);
  if (reply->type == REDIS_REPLY_ERROR) {
    return MakeError(ErrorCode::kUnavailable, "Redis: " + ReplyText(reply.get()));
  }
  if (reply->type != REDIS_REPLY_INTEGER) {
    return MakeError(ErrorCode::kInternal, "Redis: expected an integer reply");
  }
  return static_cast<std::int64_t>(reply->integer);
}

Result<bool> Connection::SetIfAbsent(std::string_view key, std::string_view value,
                                     std::int64_t ttl_ms) {
  BO_ASSERT(ttl_ms > 0);
  const std::string ttl = std::to_string(ttl_ms);
  std::string error;
  ReplyPtr reply(Command({"SET", key, value, "NX", "PX", ttl}, &error));
  if (reply == nullptr) return MakeError(ErrorCode::kUnavailable, "Redis: " + error);
  switch (reply->type) {
    case REDIS_REPLY_STATUS:  // +OK
      return true;
    case REDIS_REPLY_NIL:  // NX and the key exists
      return false;
    case REDIS_REPLY_ERROR:
      return MakeError(ErrorCode::kUnavailable, "Redis: " + ReplyText(reply.get()));
    default:
      return MakeError(ErrorCode::kInternal, "Redis: unexpected reply to SET");
  }
}

Result<bool> Connection::DeleteIfEquals(std::string_view key, std::string_view value) {
  std::string error;
  ReplyPtr reply(Command({"EVALSHA", script_sha_, "1", key, value}, &error));
  if (reply == nullptr) return MakeError(ErrorCode::kUnavailable, "Redis: " + error);
  if (reply->type == REDIS_REPLY_ERROR && ReplyText(reply.get()).rfind("NOSCRIPT", 0) == 0) {
    // The server restarted or flushed its scripts; EVAL sends the text and caches it again.
    auto deleted = IntegerCommand({"EVAL", kCompareAndDeleteScript, "1", key, value});
    if (!deleted) return deleted.error();
    return *deleted == 1;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return MakeError(ErrorCode::kUnavailable, "Redis: " + ReplyText(reply.get()));
  }
  if (reply->type != REDIS_REPLY_INTEGER) {
    return MakeError(ErrorCode::kInternal, "Redis: unexpected reply to EVALSHA");
  }
  return reply->integer == 1;
}

}  // namespace bo::lockbench::redis
