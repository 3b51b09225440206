#include "lockbench/strategy.h"

#include <array>
#include <string>

namespace bo::lockbench {
namespace {

constexpr std::array<std::string_view, 5> kNames = {"pessimistic", "optimistic", "redis-lock",
                                                    "atomic", "batched"};

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPurchased:
      return "purchased";
    case Outcome::kSoldOut:
      return "soldOut";
    case Outcome::kError:
      return "errors";
    case Outcome::kDeadlock:
      return "deadlocks";
    case Outcome::kLockTimeout:
      return "lockTimeouts";
    case Outcome::kRetriesExhausted:
      return "retriesExhausted";
  }
  return "unknown";
}

std::span<const std::string_view> StrategyNames() { return kNames; }

Result<std::unique_ptr<Strategy>> MakeStrategy(std::string_view name,
                                               const StrategyOptions& options) {
  if (name == "pessimistic") return MakePessimistic(options);
  if (name == "optimistic") return MakeOptimistic(options);
  if (name == "redis-lock") return MakeRedisLock(options);
  if (name == "atomic") return MakeAtomic(options);
  if (name == "batched") return MakeBatched(options);
  return MakeError(ErrorCode::kInvalidRequest, "unknown strategy '" + std::string(name) + "'");
}

}  // namespace bo::lockbench
