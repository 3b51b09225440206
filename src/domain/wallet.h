// The prepaid points wallet. The balance is never negative and always equals the sum of the
// wallet's transactions (CHARGE and REFUND add, PAYMENT subtracts).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "domain/money.h"

namespace bo {

enum class WalletTxKind { kCharge, kPayment, kRefund };
std::string_view WalletTxKindName(WalletTxKind k);
std::optional<WalletTxKind> ParseWalletTxKind(std::string_view name);

struct WalletTransaction {
  std::string id;
  std::string user_id;
  WalletTxKind kind = WalletTxKind::kCharge;
  Money amount = 0;  // always positive; the kind gives the sign
  Money balance_after = 0;
  std::string payment_id;  // for PAYMENT and REFUND
  UnixMs created_at_ms = 0;
};

}  // namespace bo
