#include "crypto/ticket_code.h"

#include "common/assert.h"
#include "crypto/encoding.h"

namespace bo {
namespace {
constexpr size_t kTagBytes = 16;  // 128 bits of HMAC: forging one is out of reach
}

TicketCodeSigner::TicketCodeSigner(std::string key) : key_(std::move(key)) {
  BO_ASSERT(!key_.empty());
}

std::string TicketCodeSigner::Sign(const Ticket& t) const {
  BO_ASSERT(!t.id.empty() && !t.reservation_id.empty() && !t.schedule_id.empty());
  const std::string message = t.id + "|" + t.reservation_id + "|" + t.schedule_id + "|" +
                              t.seat_id + "|" + t.ticket_type_id;
  return t.id + "." + Base64UrlEncode(HmacSha256(key_, message).substr(0, kTagBytes));
}

std::optional<std::string> TicketCodeSigner::TicketIdOf(std::string_view code) {
  const size_t dot = code.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 64) return std::nullopt;
  return std::string(code.substr(0, dot));
}

bool TicketCodeSigner::Verify(std::string_view code, const Ticket& ticket) const {
  return ConstantTimeEquals(code, Sign(ticket));
}

}  // namespace bo
