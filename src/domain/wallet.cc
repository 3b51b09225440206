#include "domain/wallet.h"

namespace bo {

std::string_view WalletTxKindName(WalletTxKind k) {
  switch (k) {
    case WalletTxKind::kCharge:
      return "CHARGE";
    case WalletTxKind::kPayment:
      return "PAYMENT";
    case WalletTxKind::kRefund:
      return "REFUND";
  }
  return "CHARGE";
}

std::optional<WalletTxKind> ParseWalletTxKind(std::string_view name) {
  if (name == "CHARGE") return WalletTxKind::kCharge;
  if (name == "PAYMENT") return WalletTxKind::kPayment;
  if (name == "REFUND") return WalletTxKind::kRefund;
  return std::nullopt;
}

}  // namespace bo
