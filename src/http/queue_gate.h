// The waiting room's gate on the routes that take inventory or money (POST /v1/reservations,
// POST /v1/payments): while a concert's waiting room is on, a request for it needs the
// Queue-Token header of an ACTIVE token of the caller for that concert, and each request that
// passes extends the token.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/api.h"

namespace bo {

// Lets the request go on by calling `pass` (once, maybe on another thread, maybe before
// returning) if the concert's room is off, or the request carries an ACTIVE token of the
// caller for it (now extended), or it retries a request whose answer is stored for its
// Idempotency-Key (the stored answer is replayed, even after the token ended). Otherwise
// answers the call: 403 QUEUE_TOKEN_REQUIRED or QUEUE_TOKEN_NOT_ACTIVE, or 503 when the
// waiting room cannot be reached.
// REQUIRES: the route is not public; `pass` is short (it may run on the thread of the waiting
// room's backend): it submits work rather than doing it.
void PassQueueGate(Api& api, std::shared_ptr<Call> call, std::string concert_id,
                   std::function<void()> pass);

// Answers 201 replies of `call` as before, once the caller's queue token for `concert_id` has
// ended: a paid reservation ends the buyer's turn and frees the slot for the next.
void EndQueueTokenOnSuccess(Api& api, Call& call, std::string concert_id);

}  // namespace bo
