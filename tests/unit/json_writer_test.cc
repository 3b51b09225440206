#include "codec/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace bo {
namespace {

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Field("a", 1);
  w.Key("list");
  w.BeginArray();
  w.String("x");
  w.Int(-2);
  w.BeginObject();
  w.EndObject();
  w.Null();
  w.EndArray();
  w.Field("ok", true);
  w.NullableField("none", "");
  w.Key("raw");
  w.Raw(R"({"k":[1]})");
  w.EndObject();
  EXPECT_EQ(w.Take(), R"({"a":1,"list":["x",-2,{},null],"ok":true,"none":null,"raw":{"k":[1]}})");
}

TEST(JsonWriter, EscapesEveryCharacterJsonRequires) {
  std::string nasty = "quote\" back\\ nl\n tab\t ctl\x01 del\x7f 한글";
  JsonWriter w;
  w.BeginObject();
  w.Field("s", nasty);
  w.EndObject();
  const std::string json = w.Take();
  simdjson::dom::parser parser;
  std::string_view back;
  ASSERT_EQ(parser.parse(json)["s"].get(back), simdjson::SUCCESS) << json;
  EXPECT_EQ(back, nasty);
}

}  // namespace
}  // namespace bo
