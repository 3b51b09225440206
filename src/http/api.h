// The boxoffice API: the routes of API.md and the middleware every request passes through
// (routing, authentication, Idempotency-Key, metrics, access log, problem+json errors).
//
// Path of a request: HttpServer parses it and calls Api::Handle on an I/O thread. Api finds the
// route, authenticates the caller and calls the route's handler. A handler decodes the body
// (http/decode.h), then either reads through a StoreReader at once or submits a use case to the
// store's writer (Api::Write); the answer comes back through the Call's respond, which records
// metrics and the access log line.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "app/idempotency.h"
#include "app/services.h"
#include "app/submit.h"
#include "common/worker_pool.h"
#include "crypto/jwt.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/queue_events.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "http/schedule_concerts.h"
#include "ports/event_delivery.h"
#include "ports/store.h"
#include "ports/waiting_room.h"

namespace bo {

struct ApiOptions {
  int access_token_ttl_seconds = 3600;
  bool access_log = true;
  // POST /v1/queue/tokens per user and per client address (the TCP peer): a bucket of
  // `capacity` requests that refills at `per_minute`.
  BucketLimits queue_joins_per_user{20, 20};
  BucketLimits queue_joins_per_address{600, 600};
  size_t rate_limit_keys_max = 1'000'000;  // users or addresses tracked by each limit
  size_t queue_event_streams_max = 10'000;
  // Webhook endpoints and their deliveries; null: the /v1/admin/webhooks routes answer 503
  // with `webhooks_unavailable` as the detail. REQUIRES: outlives the Api.
  WebhookDeliveries* event_delivery = nullptr;
  std::string webhooks_unavailable = "webhooks are not available in this process";
};

class Api {
 public:
  // REQUIRES: every reference outlives the Api.
  Api(Store& store, Services& services, const JwtCodec& jwt, WorkerPool& slow_pool,
      Metrics& metrics, WaitingRoom& waiting_room, ApiOptions options);

  // The HttpHandler of the server.
  void Handle(HttpRequest&& request, Respond respond);

  // Runs `use_case` on the store's writer and answers with `render(value)` (a 2xx response)
  // or the error's problem+json. With an Idempotency-Key from an authenticated caller, the
  // answer is stored with the change and replayed for a retry (see app/idempotency.h).
  // `lane_key` names the hot rows the use case touches (WriteJob::lane_key).
  template <class T>
  void Write(std::shared_ptr<Call> call, std::function<Result<T>(WriteTx&)> use_case,
             std::function<HttpResponse(const T&)> render, std::string lane_key = {});

  // Answers `call` with `result` rendered, or with its error.
  template <class T>
  static void Answer(Call& call, const Result<T>& result,
                     const std::function<HttpResponse(const T&)>& render) {
    call.respond(result.ok() ? render(result.value()) : ProblemResponse(result.error()));
  }

  Store& store() { return store_; }
  Services& services() { return services_; }
  const JwtCodec& jwt() const { return jwt_; }
  WorkerPool& slow_pool() { return slow_pool_; }
  Metrics& metrics() { return metrics_; }
  WaitingRoom& waiting_room() { return waiting_room_; }
  RateLimiter& queue_joins_by_user() { return queue_joins_by_user_; }
  RateLimiter& queue_joins_by_address() { return queue_joins_by_address_; }
  QueueEvents& queue_events() { return queue_events_; }
  ScheduleConcerts& schedule_concerts() { return schedule_concerts_; }
  const ApiOptions& options() const { return options_; }

  // Requests accepted and not yet answered.
  int in_flight() const { return in_flight_.load(); }

 private:
  void AddRoutes();
  // Claims (user, key) for one attempt at a time; false if another attempt holds it.
  bool ClaimIdempotencyKey(const std::string& slot);
  void ReleaseIdempotencyKey(const std::string& slot);
  void WriteIdempotent(std::shared_ptr<Call> call,
                       std::function<Result<StoredResponse>(WriteTx&)> produce,
                       std::string lane_key);

  Store& store_;
  Services& services_;
  const JwtCodec& jwt_;
  WorkerPool& slow_pool_;
  Metrics& metrics_;
  WaitingRoom& waiting_room_;
  ApiOptions options_;
  RateLimiter queue_joins_by_user_;
  RateLimiter queue_joins_by_address_;
  QueueEvents queue_events_;
  ScheduleConcerts schedule_concerts_;
  Router router_;
  std::atomic<int> in_flight_{0};

  std::mutex keys_mu_;
  std::unordered_set<std::string> keys_in_flight_;
};

// Adapts a route function to a RouteHandler.
inline RouteHandler Bind(Api& api, void (*route)(Api&, std::shared_ptr<Call>)) {
  return [&api, route](std::shared_ptr<Call> call) { route(api, std::move(call)); };
}

// Route registration, one function per resource (http/routes_*.cc).
void AddUserRoutes(Router& router, Api& api);
void AddCatalogRoutes(Router& router, Api& api);
void AddReservationRoutes(Router& router, Api& api);
void AddWalletRoutes(Router& router, Api& api);
void AddPaymentRoutes(Router& router, Api& api);
void AddOperationRoutes(Router& router, Api& api);
void AddQueueRoutes(Router& router, Api& api);
void AddWebhookRoutes(Router& router, Api& api);

template <class T>
void Api::Write(std::shared_ptr<Call> call, std::function<Result<T>(WriteTx&)> use_case,
                std::function<HttpResponse(const T&)> render, std::string lane_key) {
  const HttpRequest& req = call->request;
  if (req.has_idempotency_key && call->principal) {
    WriteIdempotent(
        call,
        [use_case = std::move(use_case),
         render = std::move(render)](WriteTx& tx) -> Result<StoredResponse> {
          auto result = use_case(tx);
          if (!result.ok()) return result.error();
          HttpResponse r = render(result.value());
          return StoredResponse{"", r.status, std::move(r.body)};
        },
        std::move(lane_key));
    return;
  }
  SubmitUseCase<T>(
      store_, std::move(use_case),
      [call, render = std::move(render)](Result<T> result) { Answer<T>(*call, result, render); },
      std::move(lane_key));
}

}  // namespace bo
