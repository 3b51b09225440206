// `boxoffice bench SCENARIO ...`: the HTTP load generator (src/loadgen) for the scenarios that
// drive a running server, the lock-strategy experiment (src/lockbench) that drives
// PostgreSQL and Redis directly, and the outbox relay benchmark (src/relaybench) that drives
// a nats-server.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "loadgen/command.h"
#include "lockbench/command.h"
#include "relaybench/command.h"

namespace bo {

int Bench(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "lock-strategies") {
    return lockbench::RunCommand(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && args[0] == "relay") {
    return relaybench::RunCommand(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  return loadgen::RunCommand(args);
}

}  // namespace bo
