#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "cli/config.h"
#include "crypto/jwt.h"
#include "ports/clock.h"

namespace bo {

int Token(const TokenFlags& flags) {
  try {
    const JwtCodec jwt(ResolveJwtSecret(flags.jwt_secret, flags.data_dir, /*create=*/false));
    Principal who;
    who.user_id = flags.admin ? "admin" : flags.user;
    who.name = flags.name.empty() ? who.user_id : flags.name;
    who.grade = ParseGrade(flags.grade).value_or(Grade::kBasic);
    who.role = flags.admin ? Role::kAdmin : Role::kUser;
    std::printf("%s\n", jwt.Issue(who, SystemClock().NowMs(), flags.ttl_seconds).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "token: %s\n", e.what());
    return 2;
  }
}

}  // namespace bo
