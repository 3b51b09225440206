// The pause before retrying after a conflict or a taken lock: exponential, capped, jittered so
// that workers who failed together do not retry together.
#pragma once

#include <chrono>
#include <random>

namespace bo::lockbench {

struct BackoffPolicy {
  int initial_us = 1000;  // the cap of the first pause
  int max_us = 32000;     // no pause is longer
};

// The pause before retry `retry` (0 for the first retry): uniform in [d/2, d] where
// d = min(max_us, initial_us * 2^retry).
// REQUIRES: 0 < policy.initial_us <= policy.max_us, retry >= 0
std::chrono::microseconds BackoffDelay(const BackoffPolicy& policy, int retry,
                                       std::mt19937_64& rng);

}  // namespace bo::lockbench
