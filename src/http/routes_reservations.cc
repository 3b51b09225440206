// Holds: POST/GET/DELETE /v1/reservations.
#include <variant>

#include "app/reservations.h"
#include "codec/resources.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/queue_gate.h"
#include "http/responses.h"

namespace bo {
namespace {

// A hold past its expiry is EXPIRED to its reader even before the sweeper records it, since
// nothing can pay it any more.
Reservation Presented(Reservation r, UnixMs now_ms) {
  if (HoldPolicy::IsDue(r, now_ms)) r.status = ReservationStatus::kExpired;
  return r;
}

// Takes the hold of `cmd` for the caller. REQUIRES: the queue gate passed.
void Reserve(Api& api, std::shared_ptr<Call> call, ReserveCommand cmd);

void CreateRoute(Api& api, std::shared_ptr<Call> call) {
  auto cmd = DecodeReserve(call->request.body);
  if (!cmd.ok()) return call->respond(ProblemResponse(cmd.error()));
  if (api.waiting_room().MayGate()) {
    const std::string& schedule_id =
        std::visit([](const auto& c) -> const std::string& { return c.schedule_id; }, *cmd);
    // An unknown schedule is left to the use case, which answers 404.
    if (auto concert_id = api.schedule_concerts().Find(api.store(), schedule_id)) {
      return PassQueueGate(api, call, std::move(*concert_id),
                           [&api, call, cmd = *cmd] { Reserve(api, call, cmd); });
    }
  }
  Reserve(api, std::move(call), std::move(*cmd));
}

void Reserve(Api& api, std::shared_ptr<Call> call, ReserveCommand cmd) {
  const std::string& user_id = call->caller().user_id;
  std::string lane_key = std::visit([](const auto& c) { return LaneKeyOf(c); }, cmd);
  std::function<Result<Reservation>(WriteTx&)> use_case;
  if (auto* seats = std::get_if<ReserveSeatsCommand>(&cmd)) {
    seats->user_id = user_id;
    use_case = [&api, c = std::move(*seats)](WriteTx& tx) {
      return ReserveSeats(tx, api.services(), c);
    };
  } else {
    auto& units = std::get<ReserveTicketsCommand>(cmd);
    units.user_id = user_id;
    use_case = [&api, c = std::move(units)](WriteTx& tx) {
      return ReserveTickets(tx, api.services(), c);
    };
  }
  Metrics& m = api.metrics();
  api.Write<Reservation>(
      call,
      [use_case = std::move(use_case), &m](WriteTx& tx) {
        auto r = use_case(tx);
        if (!r.ok() && (r.error().code == ErrorCode::kSeatUnavailable ||
                        r.error().code == ErrorCode::kSoldOut)) {
          m.holds_refused.Increment();
        }
        return r;
      },
      [&m](const Reservation& r) {
        (r.is_general_admission() ? m.holds_units : m.holds_seats).Increment();
        return ResourceResponse(201, r, &WriteReservation);
      },
      std::move(lane_key));
}

void GetRoute(Api& api, std::shared_ptr<Call> call) {
  const auto r = api.store().Read()->FindReservation(call->params[0]);
  if (!r || (r->user_id != call->caller().user_id && !call->caller().is_admin())) {
    return call->respond(NotFoundResponse("reservation " + call->params[0]));
  }
  call->respond(
      ResourceResponse(200, Presented(*r, api.services().clock.NowMs()), &WriteReservation));
}

void ListRoute(Api& api, std::shared_ptr<Call> call) {
  auto q = DecodeListQuery(call->request.query);
  if (!q.ok()) return call->respond(ProblemResponse(q.error()));
  auto page = api.store().Read()->ListReservations(call->caller().user_id, q->cursor_id, q->limit);
  const UnixMs now_ms = api.services().clock.NowMs();
  for (auto& r : page.items) r = Presented(std::move(r), now_ms);
  call->respond(PageResponse(page, &WriteReservation));
}

void CancelRoute(Api& api, std::shared_ptr<Call> call) {
  Metrics& m = api.metrics();
  api.Write<Reservation>(
      call,
      [&api, user_id = call->caller().user_id, id = call->params[0]](WriteTx& tx) {
        return CancelReservation(tx, api.services(), user_id, id);
      },
      [&m](const Reservation& r) {
        m.cancellations.Increment();
        return ResourceResponse(200, r, &WriteReservation);
      },
      call->caller().user_id);
}

}  // namespace

void AddReservationRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/reservations", Access::kUser, Bind(api, CreateRoute));
  router.Add("GET", "/v1/reservations", Access::kUser, Bind(api, ListRoute));
  router.Add("GET", "/v1/reservations/{id}", Access::kUser, Bind(api, GetRoute));
  router.Add("DELETE", "/v1/reservations/{id}", Access::kUser, Bind(api, CancelRoute));
}

}  // namespace bo
