#include "app/users.h"

#include "crypto/password.h"

namespace bo {

Result<User> SignUp(WriteTx& tx, Services& svc, const SignUpCommand& cmd) {
  User user;
  user.id = svc.ids.Next("usr");
  user.email = cmd.email;
  user.name = cmd.name;
  user.password_hash = cmd.password_hash;
  user.created_at_ms = svc.clock.NowMs();
  if (!tx.InsertUser(user)) {
    return MakeError(ErrorCode::kEmailTaken, "an account with this email already exists");
  }
  return user;
}

Result<User> LogIn(StoreReader& reader, std::string_view email, std::string_view password) {
  // A fixed hash to verify against when the email is unknown, so that both failures take as
  // long and an attacker cannot tell which emails have accounts.
  static const std::string kDecoyHash = HashPassword("decoy-password-for-timing");
  auto user = reader.FindUserByEmail(email);
  const bool match = VerifyPassword(user ? user->password_hash : kDecoyHash, password);
  if (!user || !match) {
    return MakeError(ErrorCode::kInvalidCredentials, "email or password is wrong");
  }
  return std::move(*user);
}

}  // namespace bo
