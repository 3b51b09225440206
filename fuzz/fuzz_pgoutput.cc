// The pgoutput decoder (adapters/postgres/pgoutput.h) under random replication messages, as a
// walsender, or anything posing as one, might send them. The input is split into messages by
// two-byte lengths and decoded in order until the first error, over a decoder with small
// limits. It must never crash or read out of bounds; a decoded transaction holds at most the
// limit's events, each with the values an Insert carried.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "adapters/postgres/pgoutput.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bo::pg;
  FuzzedDataProvider in(data, size);
  PgOutputLimits limits;
  limits.relations_max = 4;
  limits.columns_max = 8;
  limits.events_per_transaction_max = 16;
  PgOutputDecoder decoder("outbox", limits);
  while (in.remaining_bytes() > 0) {
    const auto length = in.ConsumeIntegral<std::uint16_t>();
    const std::string message = in.ConsumeBytesAsString(length);
    Decoded d;
    std::string error;
    if (!decoder.Decode(message, &d, &error)) {
      if (error.empty()) {
        std::fprintf(stderr, "a failed decode without a reason\n");
        std::abort();
      }
      break;
    }
    if (d.kind == Decoded::Kind::kCommit &&
        d.transaction.events.size() > limits.events_per_transaction_max) {
      std::fprintf(stderr, "a transaction beyond the limit\n");
      std::abort();
    }
  }
  return 0;
}
