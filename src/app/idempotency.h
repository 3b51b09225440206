// Idempotency-Key handling inside the write transaction.
//
// The first successful response for a (user, key) is stored in the same transaction as the
// change it reports, so a crash can never keep one without the other; a retry with the same
// key and the same request replays it byte for byte; with another request it is
// kIdempotencyKeyReused. A failed attempt stores nothing (it changed nothing), so the client
// may retry it with the same key. Concurrent attempts with one key are refused earlier, by the
// HTTP layer, with kIdempotencyKeyInUse.
#pragma once

#include <functional>
#include <string>

#include "app/services.h"
#include "common/result.h"
#include "ports/store.h"

namespace bo {

inline constexpr size_t kIdempotencyKeyBytesMax = 255;
inline constexpr int kIdempotencyRetentionSeconds = 24 * 3600;

struct IdempotentRequest {
  std::string user_id;
  std::string key;          // 1..kIdempotencyKeyBytesMax bytes
  std::string fingerprint;  // hash of method, path and body
};

struct IdempotentOutcome {
  StoredResponse response;
  bool replayed = false;
};

// Replays the stored response for `req`, or runs `produce` and stores what it returns.
Result<IdempotentOutcome> RunIdempotent(
    WriteTx& tx, Services& svc, const IdempotentRequest& req,
    const std::function<Result<StoredResponse>(WriteTx&)>& produce);

// Forgets stored responses older than kIdempotencyRetentionSeconds, at most
// kExpireBatchSizeMax per call. Returns how many.
Result<int> PruneIdempotencyKeys(WriteTx& tx, Services& svc);

}  // namespace bo
