// Ids are "<prefix>_<16 hex digits>": the digits are (milliseconds << 20 | counter), so ids of one
// process sort by creation time as strings, which keyset pagination relies on.
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
  explicit TimeOrderedIdGenerator(const Clock& clock) : clock_(clock) {}
  std::string Next(std::string_view prefix) override;

 private:
  const Clock& clock_;
  std::atomic<std::uint64_t> last_{0};
};

}  // namespace bo
