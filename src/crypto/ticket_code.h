// Ticket codes are unforgeable: "<ticket id>.<base64url of a truncated HMAC-SHA256>" over the
// ticket's identity, keyed by a secret of the server. A gate can check a code offline with the
// key, and online through POST /v1/admin/tickets/verify.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/payment.h"

namespace bo {

class TicketCodeSigner {
 public:
  // REQUIRES: key is not empty.
  explicit TicketCodeSigner(std::string key);

  // REQUIRES: ticket.id, reservation_id and schedule_id are set.
  std::string Sign(const Ticket& ticket) const;

  // Returns the ticket id a well-formed code names, without checking its signature.
  static std::optional<std::string> TicketIdOf(std::string_view code);

  // Whether `code` is the code of `ticket`.
  bool Verify(std::string_view code, const Ticket& ticket) const;

 private:
  std::string key_;
};

}  // namespace bo
