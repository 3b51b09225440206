// PostgreSQL array literals for array parameters: a statement takes many values in one
// parameter ($1::text[], $2::bigint[]) in the text form of an array, which array_in parses.
//
// Every element is written double-quoted, with '"' and '\' escaped by a backslash, so that any
// text (commas, braces, spaces, quotes, backslashes, the word NULL, UTF-8) is one element as
// it is. A null element is the bare word NULL. Quoted elements are also valid for numeric
// arrays ('{"1","-2"}'::bigint[]), so one writer serves every element type.
//
// Limits: elements are text in the connection's encoding (UTF-8); a NUL byte cannot travel in
// a text parameter at all, so it must not occur in an element.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bo::pg {

// Builds one array literal, element by element.
class ArrayLiteral {
 public:
  ArrayLiteral() : text_("{") {}

  // REQUIRES: `element` holds no NUL byte.
  void Add(std::string_view element);
  void Add(std::int64_t element) { Add(std::string_view(std::to_string(element))); }
  void AddNull();
  // Adds `element`, or NULL when it is absent.
  void Add(const std::optional<std::string_view>& element) {
    if (element) {
      Add(*element);
    } else {
      AddNull();
    }
  }

  size_t size() const { return size_; }
  // The literal, e.g. {"a","b\"c",NULL}. The builder is spent afterwards.
  std::string Take() &&;

 private:
  void Separate();

  std::string text_;
  size_t size_ = 0;
};

// The text[] literal of elements(0) … elements(n - 1), none of them null.
template <class F>
std::string TextArray(size_t n, F&& elements) {
  ArrayLiteral out;
  for (size_t i = 0; i < n; ++i) out.Add(std::string_view(elements(i)));
  return std::move(out).Take();
}

// The bigint[] (or int[]) literal of elements(0) … elements(n - 1).
template <class F>
std::string IntArray(size_t n, F&& elements) {
  ArrayLiteral out;
  for (size_t i = 0; i < n; ++i) out.Add(static_cast<std::int64_t>(elements(i)));
  return std::move(out).Take();
}

}  // namespace bo::pg
