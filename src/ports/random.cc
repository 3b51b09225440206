#include "ports/random.h"

#include <openssl/rand.h>

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
  std::uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return v;
}

std::uint64_t SeededRandom::Next() {
  std::lock_guard lock(mu_);
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace bo
