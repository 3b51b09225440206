// A TCP port on 127.0.0.1 for a throwaway server that tests start.
#pragma once

namespace bo::testing {

// A port that was free a moment ago (another process may take it before the server binds it,
// so callers retry on failure); 0 if none could be found.
int FreeLoopbackPort();

}  // namespace bo::testing
