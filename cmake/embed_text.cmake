# Writes OUTPUT: a C++ file defining bo::OpenApiDocument() with the text of INPUT.
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/embed_text.cmake.
#include <string_view>

namespace bo {

std::string_view OpenApiDocument() {
  static constexpr std::string_view kText = R\"bo_text(${text})bo_text\";
  return kText;
}

}  // namespace bo
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
