// Users, their membership grade and role.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace bo {

enum class Grade { kBasic, kSilver, kGold, kVip };
enum class Role { kUser, kAdmin };

std::string_view GradeName(Grade g);  // "BASIC", ...
std::optional<Grade> ParseGrade(std::string_view name);
std::string_view RoleName(Role r);  // "user" | "admin"
std::optional<Role> ParseRole(std::string_view name);

struct User {
  std::string id;
  std::string email;  // stored lower-cased
  std::string name;
  std::string password_hash;  // argon2id encoded string
  Grade grade = Grade::kBasic;
  Role role = Role::kUser;
  UnixMs created_at_ms = 0;
};

// Limits on sign-up fields.
inline constexpr size_t kEmailBytesMax = 254;
inline constexpr size_t kUserNameBytesMax = 100;
inline constexpr size_t kPasswordBytesMin = 8;
inline constexpr size_t kPasswordBytesMax = 128;

// Returns true if `email` has the shape local@domain.tld with no spaces or control characters.
bool IsPlausibleEmail(std::string_view email);

// The authenticated caller of a request, as the access token states it.
struct Principal {
  std::string user_id;
  std::string name;
  Grade grade = Grade::kBasic;
  Role role = Role::kUser;
  bool is_admin() const { return role == Role::kAdmin; }
};

}  // namespace bo
