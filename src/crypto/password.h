// Password hashing with argon2id (libsodium). Hashing costs tens of milliseconds by design, so
// callers run it on a PasswordHasher's own threads, never on I/O threads.
#pragma once

#include <string>
#include <string_view>

namespace bo {

// Returns an encoded argon2id hash ("$argon2id$v=19$...") of `password`.
std::string HashPassword(std::string_view password);
// Whether `password` matches `encoded`.
bool VerifyPassword(std::string_view encoded, std::string_view password);

}  // namespace bo
