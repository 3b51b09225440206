#include "ports/id_generator.h"

#include <random>

namespace bo {

TimeOrderedIdGenerator::TimeOrderedIdGenerator(const Clock& clock)
    : TimeOrderedIdGenerator(clock, static_cast<std::uint32_t>(std::random_device{}())) {}

std::string TimeOrderedIdGenerator::Next(std::string_view prefix) {
  const std::uint64_t floor = static_cast<std::uint64_t>(clock_.NowMs()) << 20;
  std::uint64_t prev = last_.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = prev + 1 > floor ? prev + 1 : floor;
  } while (!last_.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(prefix.size() + 25);
  id.append(prefix);
  id.push_back('_');
  for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(next >> shift) & 0xf]);
  for (int shift = 28; shift >= 0; shift -= 4) id.push_back(kHex[(node_ >> shift) & 0xf]);
  return id;
}

}  // namespace bo
