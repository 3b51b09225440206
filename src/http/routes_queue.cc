// The waiting room: PUT /v1/admin/concerts/{id}/waiting-room, POST /v1/queue/tokens,
// GET and DELETE /v1/queue/tokens/{token}, and its live events (http/queue_events.h).
#include "codec/resources.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/responses.h"

namespace bo {
namespace {

HttpResponse TokenResponse(int status, const QueueToken& token) {
  return ResourceResponse(status, token, &WriteQueueToken);
}

HttpResponse RateLimited(std::string detail, std::int64_t retry_after_seconds) {
  HttpResponse r = ProblemResponse(
      MakeError(ErrorCode::kRateLimited,
                std::move(detail) + "; retry in " + std::to_string(retry_after_seconds) + " s"));
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

// Takes one queue-token request from the caller's and the client address's allowances, or
// answers 429 and returns false.
bool TakeJoinAllowance(Api& api, Call& call, UnixMs now_ms) {
  const auto by_user = api.queue_joins_by_user().Take(call.caller().user_id, now_ms);
  if (!by_user.allowed) {
    api.metrics().queue_rate_limited.Increment();
    call.respond(
        RateLimited("too many queue token requests from this user", by_user.retry_after_seconds));
    return false;
  }
  const auto by_address = api.queue_joins_by_address().Take(call.request.remote_address, now_ms);
  if (!by_address.allowed) {
    api.metrics().queue_rate_limited.Increment();
    call.respond(RateLimited("too many queue token requests from this address",
                             by_address.retry_after_seconds));
    return false;
  }
  return true;
}

void ConfigureRoute(Api& api, std::shared_ptr<Call> call) {
  const UnixMs now_ms = api.services().clock.NowMs();
  auto settings = DecodeWaitingRoomSettings(call->request.body, now_ms);
  if (!settings.ok()) return call->respond(ProblemResponse(settings.error()));
  const std::string& concert_id = call->params[0];
  if (!api.store().Read()->FindConcert(concert_id)) {
    return call->respond(NotFoundResponse("concert " + concert_id));
  }
  auto configured = api.waiting_room().Configure(concert_id, *settings, now_ms);
  if (!configured.ok()) return call->respond(ProblemResponse(configured.error()));
  JsonWriter w;
  WriteWaitingRoomSettings(w, concert_id, *configured);
  call->respond(JsonResponse(200, w.Take()));
}

void JoinRoute(Api& api, std::shared_ptr<Call> call) {
  const UnixMs now_ms = api.services().clock.NowMs();
  if (!TakeJoinAllowance(api, *call, now_ms)) return;
  auto concert_id = DecodeJoinQueue(call->request.body);
  if (!concert_id.ok()) return call->respond(ProblemResponse(concert_id.error()));
  std::string user_id = call->caller().user_id;
  api.waiting_room().JoinAsync(
      *concert_id, std::move(user_id), now_ms,
      [&api, call, concert_id = *concert_id](Result<JoinOutcome> joined) {
        if (joined.ok()) {
          if (joined->created) api.metrics().queue_tokens_issued.Increment();
          return call->respond(TokenResponse(joined->created ? 201 : 200, joined->token));
        }
        if (joined.error().code != ErrorCode::kInvalidState) {
          return call->respond(ProblemResponse(joined.error()));
        }
        // A concert with no room on: tell an unknown concert apart, off the thread that may
        // have answered (a waiting room's backend connection).
        const bool posted = api.slow_pool().Post([&api, call, concert_id, error = joined.error()] {
          call->respond(api.store().Read()->FindConcert(concert_id)
                            ? ProblemResponse(error)
                            : NotFoundResponse("concert " + concert_id));
        });
        if (!posted) call->respond(ProblemResponse(joined.error()));
      });
}

// The caller's token in what a look-up `found`, or answers 404 (another user's token
// included) or the look-up's error.
std::optional<QueueToken> OwnTokenOf(Call& call, Result<std::optional<QueueToken>> found) {
  if (!found.ok()) {
    call.respond(ProblemResponse(found.error()));
    return std::nullopt;
  }
  if (*found && (*found)->user_id == call.caller().user_id) return std::move(**found);
  call.respond(NotFoundResponse("queue token " + call.params[0]));
  return std::nullopt;
}

// The caller's token named by the path, or answers 404 (another user's token included).
std::optional<QueueToken> OwnToken(Api& api, Call& call) {
  const std::string& token = call.params[0];
  if (token.size() > kQueueTokenBytesMax) return OwnTokenOf(call, std::optional<QueueToken>());
  return OwnTokenOf(call, api.waiting_room().Find(token, api.services().clock.NowMs()));
}

void GetTokenRoute(Api& api, std::shared_ptr<Call> call) {
  const std::string& token = call->params[0];
  if (token.size() > kQueueTokenBytesMax) {
    return call->respond(NotFoundResponse("queue token " + token));
  }
  api.waiting_room().FindAsync(token, api.services().clock.NowMs(),
                               [call](Result<std::optional<QueueToken>> found) {
                                 if (auto own = OwnTokenOf(*call, std::move(found)))
                                   call->respond(TokenResponse(200, *own));
                               });
}

void LeaveRoute(Api& api, std::shared_ptr<Call> call) {
  const std::string& token = call->params[0];
  if (token.size() > kQueueTokenBytesMax) {
    return call->respond(NotFoundResponse("queue token " + token));
  }
  auto left = api.waiting_room().Leave(token, call->caller().user_id, api.services().clock.NowMs());
  if (!left.ok()) return call->respond(ProblemResponse(left.error()));
  call->respond(TokenResponse(200, *left));
}

void EventsRoute(Api& api, std::shared_ptr<Call> call) {
  auto token = OwnToken(api, *call);
  if (!token) return;
  if (api.queue_events().full()) {
    HttpResponse r = ProblemResponse(
        MakeError(ErrorCode::kUnavailable, "too many open event streams; retry later"));
    r.headers.emplace_back("Retry-After", "1");
    return call->respond(std::move(r));
  }
  HttpResponse r;
  r.status = 200;
  r.content_type = "text/event-stream";
  r.open_stream = [&api, token = std::move(*token)](std::shared_ptr<ResponseStream> stream) {
    api.queue_events().Subscribe(token, std::move(stream), api.services().clock.NowMs());
  };
  call->respond(std::move(r));
}

}  // namespace

void AddQueueRoutes(Router& router, Api& api) {
  router.Add("PUT", "/v1/admin/concerts/{id}/waiting-room", Access::kAdmin,
             Bind(api, ConfigureRoute));
  router.Add("POST", "/v1/queue/tokens", Access::kUser, Bind(api, JoinRoute));
  router.Add("GET", "/v1/queue/tokens/{token}", Access::kUser, Bind(api, GetTokenRoute));
  router.Add("DELETE", "/v1/queue/tokens/{token}", Access::kUser, Bind(api, LeaveRoute));
  router.Add("GET", "/v1/queue/tokens/{token}/events", Access::kUser, Bind(api, EventsRoute));
}

}  // namespace bo
