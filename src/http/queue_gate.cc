#include "http/queue_gate.h"

#include <spdlog/spdlog.h>

namespace bo {
namespace {

void Refuse(Api& api, Call& call, const std::string& concert_id, GateVerdict verdict) {
  api.metrics().queue_gate_refused.Increment();
  const std::string room = "the waiting room of concert " + concert_id + " is on";
  call.respond(ProblemResponse(
      verdict == GateVerdict::kTokenRequired
          ? MakeError(ErrorCode::kQueueTokenRequired,
                      room + ": send the Queue-Token header of your ACTIVE queue token")
          : MakeError(ErrorCode::kQueueTokenNotActive,
                      room + ": Queue-Token is not an ACTIVE queue token of yours for it")));
}

}  // namespace

void PassQueueGate(Api& api, std::shared_ptr<Call> call, std::string concert_id,
                   std::function<void()> pass) {
  const HttpRequest& req = call->request;
  api.waiting_room().PassAsync(
      concert_id, call->caller().user_id, req.queue_token, api.services().clock.NowMs(),
      [&api, call, concert_id, pass = std::move(pass)](Result<GateVerdict> verdict) {
        if (!verdict.ok()) return call->respond(ProblemResponse(verdict.error()));
        if (*verdict == GateVerdict::kRoomOff || *verdict == GateVerdict::kPassed) return pass();
        if (!call->request.has_idempotency_key) return Refuse(api, *call, concert_id, *verdict);
        // A retry of a stored answer passes: looked up in the store, off the thread that may
        // have answered (a waiting room's backend connection).
        const bool posted = api.slow_pool().Post([&api, call, concert_id, pass, v = *verdict] {
          const HttpRequest& r = call->request;
          if (api.store().Read()->FindIdempotentResponse(call->caller().user_id,
                                                         r.idempotency_key)) {
            return pass();
          }
          Refuse(api, *call, concert_id, v);
        });
        if (!posted) {
          call->respond(ProblemResponse(
              MakeError(ErrorCode::kUnavailable, "the server is busy; retry later")));
        }
      });
}

void EndQueueTokenOnSuccess(Api& api, Call& call, std::string concert_id) {
  call.respond = [&api, respond = std::move(call.respond), concert_id = std::move(concert_id),
                  user_id = call.caller().user_id](HttpResponse response) {
    if (response.status != 201) return respond(std::move(response));
    api.waiting_room().EndAsync(concert_id, user_id, api.services().clock.NowMs(),
                                [&api, respond, response = std::move(response), concert_id,
                                 user_id](Result<bool> ended) mutable {
                                  if (ended.ok()) {
                                    if (*ended) api.metrics().queue_ended.Increment();
                                  } else {
                                    // The token then expires after its TTL without use, freeing the
                                    // slot a little later.
                                    spdlog::warn("ending the queue token of {} for {}: {}", user_id,
                                                 concert_id, ended.error().detail);
                                  }
                                  respond(std::move(response));
                                });
  };
}

}  // namespace bo
