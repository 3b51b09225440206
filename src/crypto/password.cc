#include "crypto/password.h"

#include <sodium.h>

#include <stdexcept>

#include "common/assert.h"

namespace bo {

std::string HashPassword(std::string_view password) {
  BO_ASSERT(sodium_init() >= 0);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return out;
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  BO_ASSERT(sodium_init() >= 0);
  const std::string z(encoded);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

}  // namespace bo
