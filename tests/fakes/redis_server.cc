#include "fakes/redis_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "adapters/redis/client.h"
#include "fakes/free_port.h"

namespace bo::testing {
namespace {

constexpr int kStartTimeoutMs = 20'000;

bool Answers(int port) {
  auto client = redis::RedisClient::Connect(redis::RedisEndpoint{"127.0.0.1", port, 0},
                                            redis::RedisClientOptions{1, 200});
  return client.ok();
}

}  // namespace

RedisServerProcess* RedisServerProcess::Shared() {
  static std::unique_ptr<RedisServerProcess> server = [] {
    std::unique_ptr<RedisServerProcess> s(new RedisServerProcess());
    char dir[] = "/tmp/boxoffice-redis-test-XXXXXX";
    if (!::mkdtemp(dir)) return std::unique_ptr<RedisServerProcess>();
    s->dir_ = dir;
    s->port_ = FreeLoopbackPort();
    if (s->port_ == 0 || !s->Start()) return std::unique_ptr<RedisServerProcess>();
    return s;
  }();
  return server.get();
}

bool RedisServerProcess::Start() {
  const std::string port = std::to_string(port_);
  const std::string log = dir_ + "/redis.log";
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", dir_.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited: not installed, or failed
      pid_ = -1;
      return false;
    }
    if (Answers(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  return false;
}

void RedisServerProcess::End(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServerProcess::Stop() { End(SIGTERM); }

void RedisServerProcess::Kill() { End(SIGKILL); }

bool RedisServerProcess::Restart() {
  Stop();
  return Start();
}

RedisServerProcess::~RedisServerProcess() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace bo::testing
