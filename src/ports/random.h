// Randomness is injected, like time, so that what depends on chance (queue tokens, the shuffle
// of a waiting room's pre-queue) is tested with a fixed seed.
#pragma once

#include <cstdint>
#include <mutex>

namespace bo {

class Random {
 public:
  virtual ~Random() = default;

  // 64 uniformly random bits. Thread-safe.
  virtual std::uint64_t Next() = 0;

  // A uniformly random integer in [0, n), without modulo bias. REQUIRES: n >= 1.
  std::uint64_t Below(std::uint64_t n);
};

// The operating system's CSPRNG (through OpenSSL), for secrets such as queue tokens; drawn in
// blocks of 256 bytes kept per thread.
class SystemRandom final : public Random {
 public:
  std::uint64_t Next() override;
};

// A deterministic generator (SplitMix64) for tests: the same seed gives the same sequence.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() override;

 private:
  std::mutex mu_;
  std::uint64_t state_;
};

}  // namespace bo
