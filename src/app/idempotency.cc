#include "app/idempotency.h"

namespace bo {

Result<IdempotentOutcome> RunIdempotent(
    WriteTx& tx, Services& svc, const IdempotentRequest& req,
    const std::function<Result<StoredResponse>(WriteTx&)>& produce) {
  if (auto stored = tx.FindIdempotentResponse(req.user_id, req.key)) {
    if (stored->fingerprint != req.fingerprint) {
      return MakeError(ErrorCode::kIdempotencyKeyReused,
                       "this Idempotency-Key was used with a different request");
    }
    return IdempotentOutcome{std::move(*stored), true};
  }
  auto produced = produce(tx);
  if (!produced.ok()) return produced.error();
  produced->fingerprint = req.fingerprint;
  tx.SaveIdempotentResponse(req.user_id, req.key, *produced, svc.clock.NowMs());
  return IdempotentOutcome{std::move(*produced), false};
}

Result<int> PruneIdempotencyKeys(WriteTx& tx, Services& svc) {
  const UnixMs cutoff_ms =
      svc.clock.NowMs() - static_cast<UnixMs>(kIdempotencyRetentionSeconds) * 1000;
  return tx.PruneIdempotentResponses(cutoff_ms, kExpireBatchSizeMax);
}

}  // namespace bo
