// The two conversions between runs of a plain statement and its set form (pg::SetForm): the
// plain parameters of n runs become the set form's array parameters, and the rows of the set
// form's reply go back to the run they belong to.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "adapters/postgres/connection.h"

namespace bo::postgres {

// The set form's parameters for `runs`: parameter k is the array of parameter k of every run,
// in the order of `runs` (NULL elements for NULL values).
// REQUIRES: runs non-empty; every run has the same number of parameters.
std::vector<pg::Param> SetParams(std::span<const std::vector<pg::Param>* const> runs);

// Each run's reply out of the reply of a kRowsByOrdinal set form over `runs` runs: run k
// (0-based) gets the rows whose first column is k + 1, in the order they came, without that
// column; a run with no row gets an empty reply (0 rows, 0 affected).
// REQUIRES: whole.ok(); whole's first column is an ordinal in [1, runs].
std::vector<pg::Reply> SplitByOrdinal(const pg::Reply& whole, size_t runs);

}  // namespace bo::postgres
