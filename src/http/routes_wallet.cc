// The points wallet: GET /v1/wallet, POST /v1/wallet/charges, GET /v1/wallet/transactions.
#include "app/payments.h"
#include "codec/resources.h"
#include "http/api.h"
#include "http/decode.h"
#include "http/responses.h"

namespace bo {

// Money-moving routes refuse to run without an Idempotency-Key.
bool RequireIdempotencyKey(Call& call) {
  if (call.request.has_idempotency_key) return true;
  call.respond(ProblemResponse(MakeError(ErrorCode::kIdempotencyKeyRequired,
                                         "Idempotency-Key: is required on this request")));
  return false;
}

namespace {

void BalanceRoute(Api& api, std::shared_ptr<Call> call) {
  JsonWriter w;
  w.BeginObject();
  w.Field("balance", api.store().Read()->WalletBalance(call->caller().user_id));
  w.EndObject();
  call->respond(JsonResponse(200, w.Take()));
}

void ChargeRoute(Api& api, std::shared_ptr<Call> call) {
  if (!RequireIdempotencyKey(*call)) return;
  auto amount = DecodeCharge(call->request.body);
  if (!amount.ok()) return call->respond(ProblemResponse(amount.error()));
  Metrics& m = api.metrics();
  api.Write<WalletTransaction>(
      call,
      [&api, user_id = call->caller().user_id, amount = *amount](WriteTx& tx) {
        return ChargeWallet(tx, api.services(), user_id, amount);
      },
      [&m](const WalletTransaction& t) {
        m.wallet_charges.Increment();
        JsonWriter w;
        w.BeginObject();
        w.Field("transactionId", t.id);
        w.Field("amount", t.amount);
        w.Field("balance", t.balance_after);
        w.Field("createdAt", FormatRfc3339(t.created_at_ms));
        w.EndObject();
        return JsonResponse(201, w.Take());
      },
      call->caller().user_id);
}

void TransactionsRoute(Api& api, std::shared_ptr<Call> call) {
  auto q = DecodeListQuery(call->request.query);
  if (!q.ok()) return call->respond(ProblemResponse(q.error()));
  call->respond(PageResponse(
      api.store().Read()->ListWalletTransactions(call->caller().user_id, q->cursor_id, q->limit),
      &WriteWalletTransaction));
}

}  // namespace

void AddWalletRoutes(Router& router, Api& api) {
  router.Add("GET", "/v1/wallet", Access::kUser, Bind(api, BalanceRoute));
  router.Add("POST", "/v1/wallet/charges", Access::kUser, Bind(api, ChargeRoute));
  router.Add("GET", "/v1/wallet/transactions", Access::kUser, Bind(api, TransactionsRoute));
}

}  // namespace bo
