#include "domain/wallet.h"

#include "common/enum_names.h"

namespace bo {
namespace {

constexpr EnumNames<WalletTxKind, 3> kKinds({{{WalletTxKind::kCharge, "CHARGE"},
                                              {WalletTxKind::kPayment, "PAYMENT"},
                                              {WalletTxKind::kRefund, "REFUND"}}});

}  // namespace

std::string_view WalletTxKindName(WalletTxKind k) { return kKinds.Name(k); }
std::optional<WalletTxKind> ParseWalletTxKind(std::string_view name) { return kKinds.Parse(name); }

}  // namespace bo
