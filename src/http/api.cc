#include "http/api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "crypto/encoding.h"
#include "http/decode.h"

namespace bo {

Api::Api(Store& store, Services& services, const JwtCodec& jwt, WorkerPool& slow_pool,
         Metrics& metrics, WaitingRoom& waiting_room, ApiOptions options)
    : store_(store),
      services_(services),
      jwt_(jwt),
      slow_pool_(slow_pool),
      metrics_(metrics),
      waiting_room_(waiting_room),
      options_(options),
      queue_joins_by_user_(options_.queue_joins_per_user, options_.rate_limit_keys_max),
      queue_joins_by_address_(options_.queue_joins_per_address, options_.rate_limit_keys_max),
      queue_events_(waiting_room, metrics, options_.queue_event_streams_max) {
  AddRoutes();
}

void Api::AddRoutes() {
  AddUserRoutes(router_, *this);
  AddCatalogRoutes(router_, *this);
  AddReservationRoutes(router_, *this);
  AddWalletRoutes(router_, *this);
  AddPaymentRoutes(router_, *this);
  AddOperationRoutes(router_, *this);
  AddQueueRoutes(router_, *this);
  AddWebhookRoutes(router_, *this);
}

void Api::Handle(HttpRequest&& request, Respond respond) {
  const auto started = std::chrono::steady_clock::now();
  auto match = router_.Find(request.method, request.path);
  static const std::string kUnmatched = "unmatched";
  // The router's routes live as long as the Api: the label is not copied per request.
  const std::string* route = match.route ? &match.route->pattern : &kUnmatched;
  in_flight_.fetch_add(1);

  // Every answer passes here: metrics and the access log, then the server. The path and the
  // address are kept only for the access log (each copy of a path is an allocation).
  auto call = std::make_shared<Call>();
  call->respond = [this, route, method = request.method,
                   path = options_.access_log ? request.path : std::string(),
                   remote = options_.access_log ? request.remote_address : std::string(), started,
                   respond = std::move(respond)](HttpResponse response) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    metrics_.ObserveRequest(*route, method, response.status, elapsed);
    if (options_.access_log) {
      spdlog::get("access")->info(
          "{} {} {} {} {}B {}us", remote, method, path, response.status, response.body.size(),
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    }
    respond(std::move(response));
    in_flight_.fetch_sub(1);
  };

  if (!match.route) {
    call->respond(ProblemResponse(
        match.path_known ? MakeError(ErrorCode::kMethodNotAllowed,
                                     request.method + " is not allowed on " + request.path)
                         : MakeError(ErrorCode::kNotFound, "no resource at " + request.path)));
    return;
  }
  if (request.has_idempotency_key && (request.idempotency_key.empty() ||
                                      request.idempotency_key.size() > kIdempotencyKeyBytesMax)) {
    call->respond(ProblemResponse(
        MakeError(ErrorCode::kInvalidRequest, "Idempotency-Key: must be 1 to 255 characters")));
    return;
  }
  if (match.route->access != Access::kPublic) {
    // The scheme name is case-insensitive (RFC 9110, section 11.1).
    constexpr std::string_view kBearer = "bearer ";
    const std::string& auth = request.authorization;
    if (auth.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), auth.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      call->respond(ProblemResponse(
          MakeError(ErrorCode::kUnauthenticated, "Authorization: a Bearer token is required")));
      return;
    }
    auto who = jwt_.Verify(std::string_view(auth).substr(kBearer.size()), services_.clock.NowMs());
    if (!who.ok()) {
      call->respond(ProblemResponse(who.error()));
      return;
    }
    if (match.route->access == Access::kAdmin && !who->is_admin()) {
      call->respond(
          ProblemResponse(MakeError(ErrorCode::kForbidden, "this operation needs an admin token")));
      return;
    }
    call->principal = std::move(*who);
  }
  call->request = std::move(request);
  call->params = std::move(match.params);
  try {
    match.route->handler(call);
  } catch (const std::exception& e) {
    // A reader failing (I/O error, corrupt file) is the store being unavailable, not a bug
    // of the request.
    spdlog::error("{} {}: {}", call->request.method, call->request.path, e.what());
    call->respond(ProblemResponse(MakeError(ErrorCode::kUnavailable, "the store failed")));
  }
}

bool Api::ClaimIdempotencyKey(const std::string& slot) {
  std::lock_guard lock(keys_mu_);
  return keys_in_flight_.insert(slot).second;
}

void Api::ReleaseIdempotencyKey(const std::string& slot) {
  std::lock_guard lock(keys_mu_);
  keys_in_flight_.erase(slot);
}

void Api::WriteIdempotent(std::shared_ptr<Call> call,
                          std::function<Result<StoredResponse>(WriteTx&)> produce,
                          std::string lane_key) {
  const HttpRequest& req = call->request;
  IdempotentRequest key{call->caller().user_id, req.idempotency_key,
                        HexEncode(Sha256(req.method + " " + req.path + "\n" + req.body))};
  std::string slot = key.user_id + "\n" + key.key;
  if (!ClaimIdempotencyKey(slot)) {
    call->respond(ProblemResponse(MakeError(ErrorCode::kIdempotencyKeyInUse,
                                            "a request with this Idempotency-Key is in progress")));
    return;
  }
  SubmitUseCase<IdempotentOutcome>(
      store_,
      [this, key = std::move(key), produce = std::move(produce)](WriteTx& tx) {
        return RunIdempotent(tx, services_, key, produce);
      },
      [this, call, slot = std::move(slot)](Result<IdempotentOutcome> outcome) {
        ReleaseIdempotencyKey(slot);
        if (!outcome.ok()) {
          call->respond(ProblemResponse(outcome.error()));
          return;
        }
        HttpResponse r = JsonResponse(outcome->response.status, std::move(outcome->response.body));
        if (outcome->replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
        call->respond(std::move(r));
      },
      std::move(lane_key));
}

}  // namespace bo
