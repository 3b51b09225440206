#include "domain/user.h"

namespace bo {

std::string_view GradeName(Grade g) {
  switch (g) {
    case Grade::kBasic:
      return "BASIC";
    case Grade::kSilver:
      return "SILVER";
    case Grade::kGold:
      return "GOLD";
    case Grade::kVip:
      return "VIP";
  }
  return "BASIC";
}

std::optional<Grade> ParseGrade(std::string_view name) {
  if (name == "BASIC") return Grade::kBasic;
  if (name == "SILVER") return Grade::kSilver;
  if (name == "GOLD") return Grade::kGold;
  if (name == "VIP") return Grade::kVip;
  return std::nullopt;
}

std::string_view RoleName(Role r) { return r == Role::kAdmin ? "admin" : "user"; }

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "user") return Role::kUser;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

bool IsPlausibleEmail(std::string_view email) {
  if (email.empty() || email.size() > kEmailBytesMax) return false;
  const size_t at = email.find('@');
  if (at == 0 || at == std::string_view::npos ||
      email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = email.substr(at + 1);
  const size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) return false;
  for (const char c : email) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace bo
