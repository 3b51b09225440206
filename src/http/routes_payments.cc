// Payments and tickets: POST /v1/payments, GET /v1/payments/{id}, GET /v1/tickets, and the
// gate's POST /v1/admin/tickets/verify.
#include "app/payments.h"
#include "codec/resources.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/queue_gate.h"
#include "http/responses.h"

namespace bo {

bool RequireIdempotencyKey(Call& call);  // routes_wallet.cc

namespace {

// Pays the reservation of `reservation_id` for the caller. REQUIRES: the queue gate passed.
void Pay(Api& api, std::shared_ptr<Call> call, std::string reservation_id) {
  Metrics& m = api.metrics();
  std::string user_id = call->caller().user_id;
  api.Write<Payment>(
      call,
      [&api, user_id, id = std::move(reservation_id)](WriteTx& tx) {
        return PayReservation(tx, api.services(), user_id, id);
      },
      [&m](const Payment& p) {
        m.sales.Increment();
        m.tickets_issued.Increment(static_cast<double>(p.tickets.size()));
        return ResourceResponse(201, p, &WritePayment);
      },
      user_id);  // the buyer's wallet is the row payments share
}

void PayRoute(Api& api, std::shared_ptr<Call> call) {
  if (!RequireIdempotencyKey(*call)) return;
  auto input = DecodePay(call->request.body);
  if (!input.ok()) return call->respond(ProblemResponse(input.error()));
  if (api.waiting_room().MayGate()) {
    // Another user's or an unknown reservation is left to the use case, which answers 404.
    const auto r = api.store().Read()->FindReservation(input->reservation_id);
    if (r && r->user_id == call->caller().user_id) {
      return PassQueueGate(api, call, r->concert_id,
                           [&api, call, id = input->reservation_id, concert_id = r->concert_id] {
                             EndQueueTokenOnSuccess(api, *call, concert_id);
                             Pay(api, call, id);
                           });
    }
  }
  Pay(api, std::move(call), std::move(input->reservation_id));
}

void GetPaymentRoute(Api& api, std::shared_ptr<Call> call) {
  const auto p = api.store().Read()->FindPayment(call->params[0]);
  if (!p || (p->user_id != call->caller().user_id && !call->caller().is_admin())) {
    return call->respond(NotFoundResponse("payment " + call->params[0]));
  }
  call->respond(ResourceResponse(200, *p, &WritePayment));
}

void ListTicketsRoute(Api& api, std::shared_ptr<Call> call) {
  auto q = DecodeListQuery(call->request.query);
  if (!q.ok()) return call->respond(ProblemResponse(q.error()));
  call->respond(
      PageResponse(api.store().Read()->ListTickets(call->caller().user_id, q->cursor_id, q->limit),
                   &WriteTicket));
}

void VerifyTicketRoute(Api& api, std::shared_ptr<Call> call) {
  auto code = DecodeTicketVerify(call->request.body);
  if (!code.ok()) return call->respond(ProblemResponse(code.error()));
  std::optional<Ticket> ticket;
  if (auto id = TicketCodeSigner::TicketIdOf(*code)) ticket = api.store().Read()->FindTicket(*id);
  const bool genuine = ticket && api.services().ticket_codes.Verify(*code, *ticket);
  JsonWriter w;
  w.BeginObject();
  w.Field("valid", genuine && ticket->status == TicketStatus::kValid);
  w.Key("ticket");
  if (genuine) {
    WriteTicket(w, *ticket);
  } else {
    w.Null();
  }
  w.EndObject();
  call->respond(JsonResponse(200, w.Take()));
}

}  // namespace

void AddPaymentRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/payments", Access::kUser, Bind(api, PayRoute));
  router.Add("GET", "/v1/payments/{id}", Access::kUser, Bind(api, GetPaymentRoute));
  router.Add("GET", "/v1/tickets", Access::kUser, Bind(api, ListTicketsRoute));
  router.Add("POST", "/v1/admin/tickets/verify", Access::kAdmin, Bind(api, VerifyTicketRoute));
}

}  // namespace bo
