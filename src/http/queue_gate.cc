#include "http/queue_gate.h"

#include <spdlog/spdlog.h>

namespace bo {

bool PassQueueGate(Api& api, Call& call, std::string_view concert_id) {
  const HttpRequest& req = call.request;
  const std::string& user_id = call.caller().user_id;
  auto verdict =
      api.waiting_room().Pass(concert_id, user_id, req.queue_token, api.services().clock.NowMs());
  if (!verdict.ok()) {
    call.respond(ProblemResponse(verdict.error()));
    return false;
  }
  if (*verdict == GateVerdict::kRoomOff || *verdict == GateVerdict::kPassed) return true;
  if (req.has_idempotency_key &&
      api.store().Read()->FindIdempotentResponse(user_id, req.idempotency_key)) {
    return true;
  }
  api.metrics().queue_gate_refused.Increment();
  const std::string room = "the waiting room of concert " + std::string(concert_id) + " is on";
  call.respond(ProblemResponse(
      *verdict == GateVerdict::kTokenRequired
          ? MakeError(ErrorCode::kQueueTokenRequired,
                      room + ": send the Queue-Token header of your ACTIVE queue token")
          : MakeError(ErrorCode::kQueueTokenNotActive,
                      room + ": Queue-Token is not an ACTIVE queue token of yours for it")));
  return false;
}

void EndQueueTokenOnSuccess(Api& api, Call& call, std::string concert_id) {
  call.respond = [&api, respond = std::move(call.respond), concert_id = std::move(concert_id),
                  user_id = call.caller().user_id](HttpResponse response) {
    if (response.status == 201) {
      auto ended = api.waiting_room().End(concert_id, user_id, api.services().clock.NowMs());
      if (ended.ok()) {
        if (*ended) api.metrics().queue_ended.Increment();
      } else {
        // The token then expires after its TTL without use, freeing the slot a little later.
        spdlog::warn("ending the queue token of {} for {}: {}", user_id, concert_id,
                     ended.error().detail);
      }
    }
    respond(std::move(response));
  };
}

}  // namespace bo
