// A fact others must hear about, recorded in the outbox by the transaction that made it true.
#pragma once

#include <string>

#include "common/time.h"

namespace bo {

inline constexpr const char* kEventWalletCharged = "wallet.charged";
inline constexpr const char* kEventPaymentCompleted = "payment.completed";
inline constexpr const char* kEventReservationCancelled = "reservation.cancelled";
inline constexpr const char* kEventReservationExpired = "reservation.expired";

struct Event {
  std::string id;  // unique; the same on every redelivery
  std::string type;
  UnixMs time_ms = 0;
  std::string data_json;  // the resource, encoded as the API encodes it
};

}  // namespace bo
