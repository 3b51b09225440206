// POST /v1/auth/signup, POST /v1/auth/login, GET /v1/me.
#include "app/users.h"
#include "codec/resources.h"
#include "crypto/password.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/responses.h"

namespace bo {
namespace {

void RespondBusy(Call& call) {
  call.respond(ProblemResponse(
      MakeError(ErrorCode::kUnavailable, "too many sign-ups and logins at once; retry shortly")));
}

void SignUpRoute(Api& api, std::shared_ptr<Call> call) {
  auto input = DecodeSignUp(call->request.body);
  if (!input.ok()) return call->respond(ProblemResponse(input.error()));
  // argon2id takes tens of milliseconds: hash on the slow pool, then write.
  const bool queued = api.slow_pool().Post([&api, call, input = std::move(*input)] {
    SignUpCommand cmd{input.email, input.name, HashPassword(input.password)};
    api.Write<User>(
        call, [&api, cmd](WriteTx& tx) { return SignUp(tx, api.services(), cmd); },
        [](const User& u) {
          JsonWriter w;
          w.BeginObject();
          w.Field("userId", u.id);
          w.Field("id", u.id);
          w.Field("email", u.email);
          w.Field("name", u.name);
          w.EndObject();
          return JsonResponse(201, w.Take());
        });
  });
  if (!queued) RespondBusy(*call);
}

void LogInRoute(Api& api, std::shared_ptr<Call> call) {
  auto input = DecodeLogIn(call->request.body);
  if (!input.ok()) return call->respond(ProblemResponse(input.error()));
  const bool queued = api.slow_pool().Post([&api, call, input = std::move(*input)] {
    auto user = LogIn(*api.store().Read(), input.email, input.password);
    if (!user.ok()) return call->respond(ProblemResponse(user.error()));
    const Principal who{user->id, user->name, user->grade, user->role};
    const int ttl = api.options().access_token_ttl_seconds;
    JsonWriter w;
    w.BeginObject();
    w.Field("accessToken", api.jwt().Issue(who, api.services().clock.NowMs(), ttl));
    w.Field("tokenType", "Bearer");
    w.Field("expiresIn", ttl);
    w.EndObject();
    call->respond(JsonResponse(200, w.Take()));
  });
  if (!queued) RespondBusy(*call);
}

void MeRoute(Api& api, std::shared_ptr<Call> call) {
  const auto user = api.store().Read()->FindUserById(call->caller().user_id);
  if (!user) {
    // A valid token for a user the store does not know (e.g. minted by `boxoffice token`):
    // answer from the token's claims.
    JsonWriter w;
    w.BeginObject();
    w.Field("id", call->caller().user_id);
    w.Key("email");
    w.Null();
    w.Field("name", call->caller().name);
    w.Field("grade", GradeName(call->caller().grade));
    w.Field("role", RoleName(call->caller().role));
    w.EndObject();
    return call->respond(JsonResponse(200, w.Take()));
  }
  call->respond(ResourceResponse(200, *user, &WriteUser));
}

}  // namespace

void AddUserRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/auth/signup", Access::kPublic, Bind(api, SignUpRoute));
  router.Add("POST", "/v1/auth/login", Access::kPublic, Bind(api, LogInRoute));
  router.Add("GET", "/v1/me", Access::kUser, Bind(api, MeRoute));
}

}  // namespace bo
