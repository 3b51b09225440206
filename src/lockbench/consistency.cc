#include "lockbench/consistency.h"

#include <algorithm>

namespace bo::lockbench {
namespace {

std::string N(std::int64_t n) { return std::to_string(n); }

}  // namespace

Verdict Judge(const StoredCounts& stored, const AnsweredCounts& answered) {
  Verdict verdict;
  auto fail = [&](std::string problem) {
    verdict.consistent = false;
    verdict.problems.push_back(std::move(problem));
  };
  if (stored.sold > stored.capacity) {
    fail("oversold: counter " + N(stored.sold) + " > capacity " + N(stored.capacity));
  }
  if (stored.purchase_rows > stored.capacity) {
    fail("oversold: " + N(stored.purchase_rows) + " purchase rows > capacity " +
         N(stored.capacity));
  }
  if (stored.sold != stored.purchase_rows) {
    fail("counter " + N(stored.sold) + " != " + N(stored.purchase_rows) + " purchase rows");
  }
  if (stored.purchase_rows != answered.purchased) {
    fail(N(stored.purchase_rows) + " purchase rows != " + N(answered.purchased) +
         " purchases answered");
  }
  const std::int64_t expected = std::min(stored.capacity, answered.purchased + answered.sold_out);
  if (answered.purchased != expected) {
    fail(N(answered.purchased) + " purchases answered != min(capacity " + N(stored.capacity) +
         ", " + N(answered.purchased + answered.sold_out) + " answered attempts) = " + N(expected));
  }
  return verdict;
}

}  // namespace bo::lockbench
