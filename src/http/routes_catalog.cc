// The catalog: concerts, schedules, seats; creation for admins.
#include "app/catalog.h"
#include "codec/resources.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/responses.h"

namespace bo {
namespace {

void CreateConcertRoute(Api& api, std::shared_ptr<Call> call) {
  auto cmd = DecodeCreateConcert(call->request.body);
  if (!cmd.ok()) return call->respond(ProblemResponse(cmd.error()));
  api.Write<Concert>(
      call,
      [&api, cmd = std::move(*cmd)](WriteTx& tx) { return CreateConcert(tx, api.services(), cmd); },
      [](const Concert& c) { return ResourceResponse(201, c, &WriteConcert); });
}

void CreateScheduleRoute(Api& api, std::shared_ptr<Call> call) {
  auto cmd = DecodeCreateSchedule(call->request.body, call->params[0]);
  if (!cmd.ok()) return call->respond(ProblemResponse(cmd.error()));
  api.Write<Schedule>(
      call,
      [&api, cmd = std::move(*cmd)](WriteTx& tx) {
        return CreateSchedule(tx, api.services(), cmd);
      },
      [](const Schedule& s) { return ResourceResponse(201, s, &WriteSchedule); });
}

void ListConcertsRoute(Api& api, std::shared_ptr<Call> call) {
  auto q = DecodeListQuery(call->request.query);
  if (!q.ok()) return call->respond(ProblemResponse(q.error()));
  call->respond(
      PageResponse(api.store().Read()->ListConcerts(q->cursor_id, q->limit), &WriteConcert));
}

void GetConcertRoute(Api& api, std::shared_ptr<Call> call) {
  const auto c = api.store().Read()->FindConcert(call->params[0]);
  if (!c) return call->respond(NotFoundResponse("concert " + call->params[0]));
  call->respond(ResourceResponse(200, *c, &WriteConcert));
}

void ListSchedulesRoute(Api& api, std::shared_ptr<Call> call) {
  auto range = DecodeRangeQuery(call->request.query);
  if (!range.ok()) return call->respond(ProblemResponse(range.error()));
  auto reader = api.store().Read();
  if (!reader->FindConcert(call->params[0])) {
    return call->respond(NotFoundResponse("concert " + call->params[0]));
  }
  call->respond(ItemsResponse(
      reader->ListSchedules(call->params[0], range->from_ms, range->to_ms, kSchedulesPerQueryMax),
      &WriteSchedule));
}

void GetScheduleRoute(Api& api, std::shared_ptr<Call> call) {
  const auto s = api.store().Read()->FindSchedule(call->params[0]);
  if (!s) return call->respond(NotFoundResponse("schedule " + call->params[0]));
  call->respond(ResourceResponse(200, *s, &WriteSchedule));
}

void ListSeatsRoute(Api& api, std::shared_ptr<Call> call) {
  auto reader = api.store().Read();
  auto seats = reader->ListSeats(call->params[0]);
  if (seats.empty() && !reader->FindSchedule(call->params[0])) {
    return call->respond(NotFoundResponse("schedule " + call->params[0]));
  }
  call->respond(ItemsResponse(seats, &WriteSeat));
}

}  // namespace

void AddCatalogRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/admin/concerts", Access::kAdmin, Bind(api, CreateConcertRoute));
  router.Add("POST", "/v1/admin/concerts/{id}/schedules", Access::kAdmin,
             Bind(api, CreateScheduleRoute));
  router.Add("GET", "/v1/concerts", Access::kPublic, Bind(api, ListConcertsRoute));
  router.Add("GET", "/v1/concerts/{id}", Access::kPublic, Bind(api, GetConcertRoute));
  router.Add("GET", "/v1/concerts/{id}/schedules", Access::kPublic, Bind(api, ListSchedulesRoute));
  router.Add("GET", "/v1/schedules/{id}", Access::kPublic, Bind(api, GetScheduleRoute));
  router.Add("GET", "/v1/schedules/{id}/seats", Access::kPublic, Bind(api, ListSeatsRoute));
}

}  // namespace bo
