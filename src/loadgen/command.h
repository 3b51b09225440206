// `boxoffice bench SCENARIO --target URL [options]`: the load generator's command line.
#pragma once

#include <string>
#include <vector>

namespace bo::loadgen {

// Runs `boxoffice bench` with `args`, the words after `bench` (the scenario first; see
// --help). Returns the exit code: 0 when the run ended and every check held, 1 when a check
// failed (or could not be made), 2 for bad usage or a failed setup.
int RunCommand(const std::vector<std::string>& args);

}  // namespace bo::loadgen
