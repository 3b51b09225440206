// `boxoffice bench relay`: the outbox relay to NATS JetStream, measured through the real
// publisher, the real SQLite outbox and the nats-server it is given (see --help and
// docs/PERFORMANCE.md, "Event relay").
#pragma once

#include <string>
#include <vector>

namespace bo::relaybench {

// Runs the benchmark with `args`, the words after `bench relay`; returns the process exit
// code: 0 every event was acknowledged, 1 some were not in time, 2 bad flags or a store or
// server that could not be used.
int RunCommand(const std::vector<std::string>& args);

}  // namespace bo::relaybench
