// BO_ASSERT states an invariant that must hold in every build, release included: a broken
// invariant in a system that moves money is a reason to stop, not to carry on.
#pragma once

#include <cstdio>
#include <cstdlib>

#define BO_ASSERT(cond)                                                                 \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
