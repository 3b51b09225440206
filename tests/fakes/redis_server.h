// A throwaway redis-server for contract tests: started on a free loopback port in a temporary
// directory with persistence off, stopped (and its directory removed) when the test process
// ends, or by the kernel if the test process dies first. Nothing on the default port is used.
#pragma once

#include <sys/types.h>

#include <string>

namespace bo::testing {

class RedisServerProcess {
 public:
  // The one server of this test process, started on first use; nullptr if redis-server cannot
  // be started here (it is not installed).
  static RedisServerProcess* Shared();

  ~RedisServerProcess();

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // Stops the server and starts it again on the same port, empty (persistence is off): what a
  // restart of Redis does to its data. Returns whether it answers again.
  bool Restart();

  // Kills the server at once (SIGKILL), as a crash would: its clients' connections break with
  // whatever they had sent unanswered.
  void Kill();

  // Starts the server again on the same port, empty, after Kill. Returns whether it answers.
  bool Start();

 private:
  RedisServerProcess() = default;
  void Stop();
  // Sends `signal` to the server and waits for it to exit.
  void End(int signal);

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace bo::testing
