#include "adapters/postgres/array_param.h"

#include "common/assert.h"

namespace bo::pg {

void ArrayLiteral::Separate() {
  if (size_++ > 0) text_ += ',';
}

void ArrayLiteral::Add(std::string_view element) {
  BO_ASSERT(element.find('\0') == std::string_view::npos);
  Separate();
  text_.reserve(text_.size() + element.size() + 2);
  text_ += '"';
  for (const char c : element) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayLiteral::AddNull() {
  Separate();
  text_ += "NULL";
}

std::string ArrayLiteral::Take() && {
  text_ += '}';
  return std::move(text_);
}

}  // namespace bo::pg
