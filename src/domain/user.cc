#include "domain/user.h"

#include "common/enum_names.h"

namespace bo {
namespace {

constexpr EnumNames<Grade, 4> kGrades({{{Grade::kBasic, "BASIC"},
                                        {Grade::kSilver, "SILVER"},
                                        {Grade::kGold, "GOLD"},
                                        {Grade::kVip, "VIP"}}});
constexpr EnumNames<Role, 2> kRoles({{{Role::kUser, "user"}, {Role::kAdmin, "admin"}}});

}  // namespace

std::string_view GradeName(Grade g) { return kGrades.Name(g); }
std::optional<Grade> ParseGrade(std::string_view name) { return kGrades.Parse(name); }
std::string_view RoleName(Role r) { return kRoles.Name(r); }
std::optional<Role> ParseRole(std::string_view name) { return kRoles.Parse(name); }

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
