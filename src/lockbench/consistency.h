// The judgement after a run: did the strategy sell exactly what it said it sold, and never
// more than the capacity?
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bo::lockbench {

// What the database holds for one ticket type after a run.
struct StoredCounts {
  std::int64_t capacity = 0;
  std::int64_t sold = 0;           // the ticket type's counter
  std::int64_t purchase_rows = 0;  // rows in purchases for it
};

// What the workers were told.
struct AnsweredCounts {
  std::int64_t purchased = 0;  // attempts answered "purchased"
  std::int64_t sold_out = 0;   // attempts answered "sold out"
};

struct Verdict {
  bool consistent = true;
  // One sentence per broken rule, empty when consistent.
  std::vector<std::string> problems;
};

// Consistent when the counter, the purchase rows and the purchases the workers were told of
// are one number, and that number is min(capacity, purchased + sold out): never more than the
// capacity, and all of it once any attempt was told "sold out". Failed attempts must have
// changed nothing.
Verdict Judge(const StoredCounts& stored, const AnsweredCounts& answered);

}  // namespace bo::lockbench
