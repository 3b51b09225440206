#include "adapters/postgres/coalescing/set_params.h"

#include "adapters/postgres/array_param.h"
#include "common/assert.h"

namespace bo::postgres {

std::vector<pg::Param> SetParams(std::span<const std::vector<pg::Param>* const> runs) {
  BO_ASSERT(!runs.empty());
  const size_t count = runs.front()->size();
  std::vector<pg::ArrayLiteral> arrays(count);
  for (const std::vector<pg::Param>* run : runs) {
    BO_ASSERT(run->size() == count);
    for (size_t k = 0; k < count; ++k) {
      const char* value = (*run)[k].c_str();
      if (value == nullptr) {
        arrays[k].AddNull();
      } else {
        arrays[k].Add(std::string_view(value));
      }
    }
  }
  std::vector<pg::Param> params;
  params.reserve(count);
  for (pg::ArrayLiteral& array : arrays) params.emplace_back(std::move(array).Take());
  return params;
}

std::vector<pg::Reply> SplitByOrdinal(const pg::Reply& whole, size_t runs) {
  std::vector<std::vector<int>> rows_of(runs);
  for (int row = 0; row < whole.rows(); ++row) {
    const std::int64_t ordinal = whole.Int64(row, 0);
    BO_ASSERT(ordinal >= 1 && static_cast<size_t>(ordinal) <= runs);
    rows_of[static_cast<size_t>(ordinal - 1)].push_back(row);
  }
  std::vector<pg::Reply> replies;
  replies.reserve(runs);
  for (std::vector<int>& rows : rows_of) {
    replies.push_back(pg::Reply::RowsOf(whole, std::move(rows), 1));
  }
  return replies;
}

}  // namespace bo::postgres
