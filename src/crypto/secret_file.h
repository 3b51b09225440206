// Secrets kept in small files of a data directory (the JWT secret), shared by the commands that
// serve, print tokens and drive load, so they all read the file the same way.
#pragma once

#include <optional>
#include <string>

namespace bo {

// The file that keeps the JWT secret inside a data directory.
std::string JwtSecretPath(const std::string& data_dir);

// Returns the secret kept in `path` without its trailing line breaks, or nullopt when the file
// is missing, unreadable or empty.
std::optional<std::string> ReadSecretFile(const std::string& path);

// Writes `secret` and a line break to `path` with mode 0600, through a temporary file renamed
// into place, creating the directory if needed. Throws std::runtime_error if it cannot.
void WriteSecretFile(const std::string& path, const std::string& secret);

}  // namespace bo
