#include "app/payments.h"

#include "codec/resources.h"
#include "common/assert.h"

namespace bo {

Result<WalletTransaction> ChargeWallet(WriteTx& tx, Services& svc, std::string_view user_id,
                                       Money amount) {
  BO_ASSERT(amount >= kChargeAmountMin && amount <= kChargeAmountMax);
  const auto balance = tx.CreditWallet(user_id, amount);
  if (!balance) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "amount: the balance would exceed " + std::to_string(kBalanceMax));
  }
  WalletTransaction t;
  t.id = svc.ids.Next("wtx");
  t.user_id = std::string(user_id);
  t.kind = WalletTxKind::kCharge;
  t.amount = amount;
  t.balance_after = *balance;
  t.created_at_ms = svc.clock.NowMs();
  tx.InsertWalletTransaction(t);
  tx.AppendEvent(Event{svc.ids.Next("evt"), kEventWalletCharged, t.created_at_ms,
                       ToJson(t, &WriteWalletTransaction)});
  return t;
}

}  // namespace bo
