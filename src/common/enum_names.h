// One table per enum maps each value to its wire name and back, so the two directions can
// never disagree.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace bo {

template <class E, size_t N>
class EnumNames {
 public:
  constexpr explicit EnumNames(std::array<std::pair<E, std::string_view>, N> table)
      : table_(table) {}

  // REQUIRES: `value` is in the table.
  constexpr std::string_view Name(E value) const {
    for (const auto& [v, name] : table_) {
      if (v == value) return name;
    }
    return table_[0].second;
  }

  constexpr std::optional<E> Parse(std::string_view name) const {
    for (const auto& [v, n] : table_) {
      if (n == name) return v;
    }
    return std::nullopt;
  }

 private:
  std::array<std::pair<E, std::string_view>, N> table_;
};

}  // namespace bo
