// A throwaway PostgreSQL 15 for contract tests: initdb in a temporary directory, then `postgres`
// on a free loopback port with synchronous_commit on, stopped (and its directory removed) when
// the test process ends, or by the kernel if the test process dies first. Nothing on the default
// port is used. As root, initdb and postgres run as the `postgres` user (initdb refuses root),
// switched to in the forked child so that the server stays a direct child of the test.
#pragma once

#include <sys/types.h>

#include <string>

namespace bo::testing {

class PostgresServerProcess {
 public:
  // The one server of this test process, started on first use; nullptr if PostgreSQL cannot
  // be started here (it is not installed).
  static PostgresServerProcess* Shared();

  ~PostgresServerProcess();

  // A new empty database, for one test. Returns its URL; empty on failure.
  std::string CreateDatabase();

  std::string url(const std::string& database) const {
    return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

  // Stops the server (fast shutdown: sessions end). REQUIRES: running.
  void Stop();
  // Starts it again on the same port and data. Returns whether it answers.
  bool Start();

 private:
  PostgresServerProcess() = default;
  bool InitDb();

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int databases_ = 0;
};

}  // namespace bo::testing
