// Ids are "<prefix>_<16 hex digits><8 hex digits>": the first 16 are (milliseconds << 20 |
// counter), so ids sort by creation time as strings, which keyset pagination relies on; the
// last 8 name the generator (random per process), so that instances sharing one database never
// make the same id in the same millisecond.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "ports/clock.h"

namespace bo {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // Returns a new id, greater (as a string) than every id this generator returned before.
  virtual std::string Next(std::string_view prefix) = 0;
};

class TimeOrderedIdGenerator final : public IdGenerator {
 public:
  // A generator named by 32 bits from the operating system's random source.
  explicit TimeOrderedIdGenerator(const Clock& clock);
  TimeOrderedIdGenerator(const Clock& clock, std::uint32_t node) : clock_(clock), node_(node) {}
  std::string Next(std::string_view prefix) override;

 private:
  const Clock& clock_;
  const std::uint32_t node_;
  std::atomic<std::uint64_t> last_{0};
};

}  // namespace bo
