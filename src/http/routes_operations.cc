// Operations: /healthz, /readyz, /metrics, /openapi.yaml.
#include <string_view>

#include "http/api.h"

namespace bo {

std::string_view OpenApiDocument();  // generated from docs/openapi.yaml

namespace {

void HealthRoute(Api&, std::shared_ptr<Call> call) {
  call->respond(JsonResponse(200, R"({"status":"ok"})"));
}

void ReadyRoute(Api& api, std::shared_ptr<Call> call) {
  if (api.store().Ping()) return call->respond(JsonResponse(200, R"({"status":"ready"})"));
  call->respond(ProblemResponse(MakeError(ErrorCode::kUnavailable, "the store does not answer")));
}

void MetricsRoute(Api& api, std::shared_ptr<Call> call) {
  const StoreStats stats = api.store().Stats();
  api.metrics().writer_queue_jobs.Set(static_cast<double>(stats.queue_jobs));
  api.metrics().writer_transactions.Set(static_cast<double>(stats.transactions_committed));
  api.metrics().writer_jobs.Set(static_cast<double>(stats.jobs_run));
  api.metrics().writer_batches_run_singly.Set(static_cast<double>(stats.batches_run_singly));
  if (auto queue = api.waiting_room().Stats(api.services().clock.NowMs()); queue.ok()) {
    api.metrics().queue_waiting.Set(static_cast<double>(queue->waiting));
    api.metrics().queue_active.Set(static_cast<double>(queue->active));
  }
  call->respond(HttpResponse{200, "text/plain; version=0.0.4", api.metrics().Serialize(), {}, {}});
}

void OpenApiRoute(Api&, std::shared_ptr<Call> call) {
  call->respond(HttpResponse{200, "application/yaml", std::string(OpenApiDocument()), {}, {}});
}

}  // namespace

void AddOperationRoutes(Router& router, Api& api) {
  router.Add("GET", "/healthz", Access::kPublic, Bind(api, HealthRoute));
  router.Add("GET", "/readyz", Access::kPublic, Bind(api, ReadyRoute));
  router.Add("GET", "/metrics", Access::kPublic, Bind(api, MetricsRoute));
  router.Add("GET", "/openapi.yaml", Access::kPublic, Bind(api, OpenApiRoute));
  router.Add("GET", "/openapi.json", Access::kPublic, Bind(api, OpenApiRoute));
}

}  // namespace bo
