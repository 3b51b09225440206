// Use cases of accounts: sign-up and login.
#pragma once

#include <string>

#include "app/services.h"
#include "common/result.h"
#include "ports/store.h"

namespace bo {

struct SignUpCommand {
  std::string email;  // already validated and lower-cased
  std::string name;
  std::string password_hash;  // argon2id, computed off the I/O threads
};

// Creates a BASIC user. Fails with kEmailTaken if the email has an account.
Result<User> SignUp(WriteTx& tx, Services& svc, const SignUpCommand& cmd);

// Returns the user whose email and password match, or kInvalidCredentials (the same error for
// an unknown email and a wrong password). Slow: run it off the I/O threads.
Result<User> LogIn(StoreReader& reader, std::string_view email, std::string_view password);

}  // namespace bo
