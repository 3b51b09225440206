// Response shapes shared by the routes.
#pragma once

#include <string>
#include <vector>

#include "codec/json_writer.h"
#include "http/decode.h"
#include "http/problem.h"
#include "ports/store.h"

namespace bo {

template <class T>
void WriteItems(JsonWriter& w, const std::vector<T>& items, void (*write)(JsonWriter&, const T&)) {
  w.Key("items");
  w.BeginArray();
  for (const auto& item : items) write(w, item);
  w.EndArray();
}

// A list page: {"items": [...], "nextCursor": "…" | null}.
template <class T>
HttpResponse PageResponse(const Page<T>& page, void (*write)(JsonWriter&, const T&)) {
  JsonWriter w;
  w.BeginObject();
  WriteItems(w, page.items, write);
  w.NullableField("nextCursor", EncodeCursor(page.next_cursor));
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// A whole list: {"items": [...]}.
template <class T>
HttpResponse ItemsResponse(const std::vector<T>& items, void (*write)(JsonWriter&, const T&)) {
  JsonWriter w;
  w.BeginObject();
  WriteItems(w, items, write);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// One resource as a JSON response.
template <class T>
HttpResponse ResourceResponse(int status, const T& value, void (*write)(JsonWriter&, const T&)) {
  JsonWriter w;
  write(w, value);
  return JsonResponse(status, w.Take());
}

inline HttpResponse NotFoundResponse(const std::string& what) {
  return ProblemResponse(MakeError(ErrorCode::kNotFound, what + " does not exist"));
}

}  // namespace bo
