// A compact JSON writer over RapidJSON, with one method per shape the API uses.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace bo {

class JsonWriter {
 public:
  void BeginObject() { w_.StartObject(); }
  void EndObject() { w_.EndObject(); }
  void BeginArray() { w_.StartArray(); }
  void EndArray() { w_.EndArray(); }
  void Key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void String(std::string_view v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void Int(std::int64_t v) { w_.Int64(v); }
  void Bool(bool v) { w_.Bool(v); }
  void Null() { w_.Null(); }

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
  void Raw(std::string_view json) { w_.RawValue(json.data(), json.size(), rapidjson::kObjectType); }

  std::string Take() { return std::string(buf_.GetString(), buf_.GetSize()); }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_{buf_};
};

}  // namespace bo
