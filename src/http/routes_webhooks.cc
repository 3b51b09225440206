// Webhook endpoints (admin): POST/GET /v1/admin/webhooks, DELETE /v1/admin/webhooks/{id},
// GET /v1/admin/webhooks/{id}/deliveries.
#include "app/webhooks.h"
#include "codec/json_writer.h"
#include "common/time.h"
#include "domain/webhook.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/responses.h"

namespace bo {
namespace {

constexpr int kDeliveriesListedMax = 1000;  // newest first

void WriteEndpoint(JsonWriter& w, const WebhookEndpoint& e) {
  w.BeginObject();
  w.Field("id", e.id);
  w.Field("url", e.url);
  w.Key("events");
  w.BeginArray();
  for (const auto& t : e.event_types) w.String(t);
  w.EndArray();
  w.Field("secret", e.secret);
  w.Field("createdAt", FormatRfc3339(e.created_at_ms));
  w.NullableField("disabledAt", e.disabled_at_ms ? FormatRfc3339(e.disabled_at_ms) : "");
  w.EndObject();
}

void WriteDelivery(JsonWriter& w, const WebhookDelivery& d) {
  w.BeginObject();
  w.Field("eventId", d.event_id);
  w.Field("type", d.type);
  w.Field("attempts", d.attempts);
  w.Key("lastStatus");
  if (d.last_status < 0) {
    w.Null();
  } else {
    w.Int(d.last_status);
  }
  w.NullableField("deliveredAt", d.delivered_at_ms ? FormatRfc3339(d.delivered_at_ms) : "");
  w.EndObject();
}

// The port, or nullptr having answered 503.
WebhookDeliveries* DeliveryOf(Api& api, Call& call) {
  WebhookDeliveries* delivery = api.options().event_delivery;
  if (delivery == nullptr) {
    call.respond(
        ProblemResponse(MakeError(ErrorCode::kUnavailable, api.options().webhooks_unavailable)));
  }
  return delivery;
}

void CreateRoute(Api& api, std::shared_ptr<Call> call) {
  WebhookDeliveries* delivery = DeliveryOf(api, *call);
  if (delivery == nullptr) return;
  auto command = DecodeCreateWebhook(call->request.body);
  if (!command.ok()) return call->respond(ProblemResponse(command.error()));
  auto endpoint = CreateWebhook(*delivery, api.services(), std::move(*command));
  if (!endpoint.ok()) return call->respond(ProblemResponse(endpoint.error()));
  call->respond(ResourceResponse(201, *endpoint, &WriteEndpoint));
}

void ListRoute(Api& api, std::shared_ptr<Call> call) {
  WebhookDeliveries* delivery = DeliveryOf(api, *call);
  if (delivery == nullptr) return;
  call->respond(ItemsResponse(delivery->ListEndpoints(static_cast<int>(kWebhookEndpointsMax)),
                              &WriteEndpoint));
}

void DeleteRoute(Api& api, std::shared_ptr<Call> call) {
  WebhookDeliveries* delivery = DeliveryOf(api, *call);
  if (delivery == nullptr) return;
  if (!delivery->DeleteEndpoint(call->params[0])) {
    return call->respond(NotFoundResponse("webhook " + call->params[0]));
  }
  call->respond(HttpResponse{204, "", "", {}, {}});
}

void DeliveriesRoute(Api& api, std::shared_ptr<Call> call) {
  WebhookDeliveries* delivery = DeliveryOf(api, *call);
  if (delivery == nullptr) return;
  if (!delivery->FindEndpoint(call->params[0])) {
    return call->respond(NotFoundResponse("webhook " + call->params[0]));
  }
  call->respond(ItemsResponse(delivery->ListDeliveries(call->params[0], kDeliveriesListedMax),
                              &WriteDelivery));
}

}  // namespace

void AddWebhookRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/admin/webhooks", Access::kAdmin, Bind(api, CreateRoute));
  router.Add("GET", "/v1/admin/webhooks", Access::kAdmin, Bind(api, ListRoute));
  router.Add("DELETE", "/v1/admin/webhooks/{id}", Access::kAdmin, Bind(api, DeleteRoute));
  router.Add("GET", "/v1/admin/webhooks/{id}/deliveries", Access::kAdmin,
             Bind(api, DeliveriesRoute));
}

}  // namespace bo
