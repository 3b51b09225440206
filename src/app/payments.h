// Use cases that move money: charging the wallet and paying a reservation with points.
#pragma once

#include <string>

#include "app/services.h"
#include "common/result.h"
#include "ports/store.h"

namespace bo {

// Adds `amount` points to the user's wallet and records wallet.charged.
// REQUIRES: kChargeAmountMin <= amount <= kChargeAmountMax.
// kInvalidRequest if the balance would pass kBalanceMax.
Result<WalletTransaction> ChargeWallet(WriteTx& tx, Services& svc, std::string_view user_id,
                                       Money amount);

// Pays the caller's HELD reservation with points, in one transaction: the reservation turns
// PAID (only if still HELD and unexpired, so expiry and payment cannot both win), the wallet
// is debited (only if it covers the amount), seats turn SOLD, one ticket is issued per seat or
// unit, and payment.completed is recorded.
// kNotFound: not the caller's. kReservationExpired: past its hold. kInvalidState: not HELD.
// kInsufficientBalance: the wallet does not cover it (nothing changes).
Result<Payment> PayReservation(WriteTx& tx, Services& svc, std::string_view user_id,
                               std::string_view reservation_id);

}  // namespace bo
