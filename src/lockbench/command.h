// `boxoffice bench lock-strategies`: compares ways of keeping a hot counter right under
// concurrent purchases (see --help and docs/PERFORMANCE.md, "Lock strategies").
#pragma once

#include <string>
#include <vector>

namespace bo::lockbench {

// Runs the experiment with `args`, the words after `bench lock-strategies`; returns the
// process exit code: 0 all strategies consistent, 1 one was not, 2 bad flags or a server that
// could not be used.
int RunCommand(const std::vector<std::string>& args);

}  // namespace bo::lockbench
