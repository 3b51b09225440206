// A compact streaming JSON writer, one method per shape the API writes. It inserts commas and
// escapes strings (RFC 8259); the caller keeps objects and arrays balanced.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bo {

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view k) {
    Separate();
    AppendString(k);
    out_.push_back(':');
    after_key_ = true;
  }
  void String(std::string_view v) {
    Separate();
    AppendString(v);
  }
  void Int(std::int64_t v) {
    Separate();
    out_ += std::to_string(v);
  }
  void Bool(bool v) {
    Separate();
    out_ += v ? "true" : "false";
  }
  void Null() {
    Separate();
    out_ += "null";
  }

  void Field(std::string_view k, std::string_view v) { Key(k), String(v); }
  void Field(std::string_view k, const char* v) { Key(k), String(v); }
  void Field(std::string_view k, const std::string& v) { Key(k), String(v); }
  void Field(std::string_view k, std::int64_t v) { Key(k), Int(v); }
  void Field(std::string_view k, int v) { Key(k), Int(v); }
  void Field(std::string_view k, bool v) { Key(k), Bool(v); }
  // Writes null when `v` is empty.
  void NullableField(std::string_view k, std::string_view v) {
    Key(k);
    if (v.empty()) {
      Null();
    } else {
      String(v);
    }
  }

  // Appends already-encoded JSON as the next value.
  // REQUIRES: `json` is one complete JSON value.
  void Raw(std::string_view json) {
    Separate();
    out_ += json;
  }

  std::string Take() { return std::move(out_); }

 private:
  // Writes the comma that separates this value from the previous one in its container.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_.push_back(',');
      first_.back() = false;
    }
  }
  void Open(char c) {
    Separate();
    out_.push_back(c);
    first_.push_back(true);
  }
  void Close(char c) {
    out_.push_back(c);
    first_.pop_back();
  }
  void AppendString(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_.push_back('"');
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (u < 0x20) {
            out_ += "\\u00";
            out_.push_back(kHex[u >> 4]);
            out_.push_back(kHex[u & 15]);
          } else {
            out_.push_back(c);
          }
      }
    }
    out_.push_back('"');
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: no value written yet
  bool after_key_ = false;
};

}  // namespace bo
