#include "ports/random.h"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "common/assert.h"

namespace bo {

std::uint64_t Random::Below(std::uint64_t n) {
  BO_ASSERT(n >= 1);
  // Values at or above the largest multiple of n would make the low residues likelier.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    const std::uint64_t v = Next();
    if (v < limit) return v % n;
  }
}

std::uint64_t SystemRandom::Next() {
  // Drawn from the CSPRNG in blocks, one per thread: RAND_bytes costs about as much for 8 bytes
  // as for 256, and a queue token takes three draws.
  constexpr size_t kBlockWords = 32;
  thread_local std::array<std::uint64_t, kBlockWords> block;
  thread_local size_t used = kBlockWords;
  if (used == kBlockWords) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(block.data()), sizeof block) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    used = 0;
  }
  return block[used++];
}

std::uint64_t SeededRandom::Next() {
  std::lock_guard lock(mu_);
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace bo
