// Money is an integer number of minor units (won). Limits are explicit so that no sum of them
// can overflow an int64.
#pragma once

#include <cstdint>

namespace bo {

using Money = std::int64_t;

inline constexpr Money kChargeAmountMin = 1;
inline constexpr Money kChargeAmountMax = 10'000'000;
inline constexpr Money kPriceMax = 100'000'000;          // per seat or ticket unit
inline constexpr Money kBalanceMax = 1'000'000'000'000;  // a wallet never holds more

}  // namespace bo
