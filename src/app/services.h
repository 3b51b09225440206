// What every use case may use besides the transaction it runs in: the clock, id generation,
// the hold policy and the ticket-code signer. Time is read through the clock when the use case
// runs on the writer, not when the request arrived, so expiry guards see the real order.
#pragma once

#include "crypto/ticket_code.h"
#include "domain/reservation.h"
#include "ports/clock.h"
#include "ports/id_generator.h"

namespace bo {

struct Services {
  const Clock& clock;
  IdGenerator& ids;
  HoldPolicy hold;
  const TicketCodeSigner& ticket_codes;
};

// Expired holds released in one sweep at most.
inline constexpr int kExpireBatchSizeMax = 500;

}  // namespace bo
