#include "fakes/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fakes/free_port.h"

namespace bo::testing {
namespace {

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kOwner = "postgres";
constexpr int kStartTimeoutMs = 60'000;

// In a forked child: becomes the cluster's owner when running as root.
bool BecomeOwner() {
  if (::geteuid() != 0) return true;
  const passwd* owner = ::getpwnam(kOwner);
  if (owner == nullptr) return false;
  return ::setgroups(0, nullptr) == 0 && ::setgid(owner->pw_gid) == 0 &&
         ::setuid(owner->pw_uid) == 0;
}

// Forks `argv` with output to `log`, as the owner. Returns the child's pid or -1.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log, bool die_with_parent) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGINT);  // PostgreSQL's fast shutdown
    if (::getppid() != parent) ::_exit(1);
  }
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out >= 0) {
    if (::geteuid() == 0 && ::getpwnam(kOwner) != nullptr) {
      (void)::fchown(out, ::getpwnam(kOwner)->pw_uid, ::getpwnam(kOwner)->pw_gid);
    }
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
  }
  if (!BecomeOwner()) ::_exit(126);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

bool Answers(const std::string& url) { return PQping(url.c_str()) == PQPING_OK; }

}  // namespace

PostgresServerProcess* PostgresServerProcess::Shared() {
  static std::unique_ptr<PostgresServerProcess> server = [] {
    std::unique_ptr<PostgresServerProcess> s(new PostgresServerProcess());
    if (!std::filesystem::exists(std::string(kBinDir) + "/postgres")) {
      return std::unique_ptr<PostgresServerProcess>();
    }
    char dir[] = "/tmp/boxoffice-pg-test-XXXXXX";
    if (!::mkdtemp(dir)) return std::unique_ptr<PostgresServerProcess>();
    s->dir_ = dir;
    if (::geteuid() == 0) {
      const passwd* owner = ::getpwnam(kOwner);
      if (owner == nullptr || ::chown(dir, owner->pw_uid, owner->pw_gid) != 0) {
        return std::unique_ptr<PostgresServerProcess>();
      }
    }
    s->port_ = FreeLoopbackPort();
    if (s->port_ == 0 || !s->InitDb() || !s->Start())
      return std::unique_ptr<PostgresServerProcess>();
    return s;
  }();
  return server.get();
}

bool PostgresServerProcess::InitDb() {
  const pid_t pid =
      Spawn({std::string(kBinDir) + "/initdb", "-D", dir_ + "/data", "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            dir_ + "/initdb.log", /*die_with_parent=*/false);
  if (pid < 0) return false;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool PostgresServerProcess::Start() {
  pid_ = Spawn({std::string(kBinDir) + "/postgres", "-D", dir_ + "/data", "-c",
                "port=" + std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c",
                "unix_socket_directories=" + dir_, "-c", "synchronous_commit=on", "-c",
                "max_connections=200", "-c", "logging_collector=off"},
               dir_ + "/postgres.log", /*die_with_parent=*/true);
  if (pid_ < 0) return false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (Answers(url("postgres"))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  return false;
}

void PostgresServerProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string PostgresServerProcess::CreateDatabase() {
  static std::mutex mu;
  std::lock_guard lock(mu);
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  PGconn* conn = PQconnectdb(url("postgres").c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    // A generated identifier (digits and '_'), not a value: CREATE DATABASE takes no parameters.
    PGresult* r = PQexec(conn, ("CREATE DATABASE " + name).c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  PQfinish(conn);
  return ok ? url(name) : std::string();
}

PostgresServerProcess::~PostgresServerProcess() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace bo::testing
