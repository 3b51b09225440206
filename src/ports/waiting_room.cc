#include "ports/waiting_room.h"

namespace bo {

std::string NewQueueTokenId(Random& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "qt_";
  for (int word = 0; word < 2; ++word) {
    const std::uint64_t bits = random.Next();
    for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(bits >> shift) & 0xf]);
  }
  BO_ASSERT(id.size() <= kQueueTokenBytesMax);
  return id;
}

}  // namespace bo
