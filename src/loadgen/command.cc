#include "loadgen/command.h"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

#include "crypto/jwt.h"
#include "crypto/secret_file.h"
#include "domain/waiting_room.h"
#include "loadgen/driver.h"
#include "loadgen/report.h"
#include "loadgen/run_to_completion.h"
#include "loadgen/scenario.h"
#include "loadgen/setup.h"
#include "loadgen/tokens.h"
#include "ports/clock.h"

namespace bo::loadgen {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitUsage = 2;

// Limits of the flags.
constexpr double kDurationSecondsMin = 0.1;
constexpr int kTimeoutSecondsMax = 600;
constexpr int kSeatsMax = 100'000;       // the server's seats per schedule
constexpr int kCapacityMax = 1'000'000;  // the server's units per ticket type
// Progress goes to stderr once a second when the run is longer than this.
constexpr double kProgressAfterSeconds = 3;
// Tokens outlive the run by this much, for the checks after it.
constexpr int kTokenSlackSeconds = 3600;

struct BenchFlags {
  std::string scenario;
  std::string target;
  int connections = 16;
  double duration_seconds = 10;
  double rate_per_second = 0;
  int threads = 1;
  bool json = false;
  std::string data_dir = "./boxoffice-data";
  std::string jwt_secret;
  int seats = 0;  // 0: the scenario's default
  int capacity = 1000;
  int users = 1000;
  int seats_per_hold_max = 4;
  bool distinct_seats = false;
  bool through_waiting_room = false;
  int quantity_max = 4;
  RoomSettings room{1000, 10'000, 600};  // queue, queue-status
  int timeout_seconds = 30;
};

int DefaultSeats(const std::string& scenario) {
  if (scenario == "pay") return kSeatsMax;
  if (scenario == "browse") return 100;
  return 1000;
}

std::string ScenarioHelp() {
  std::string out = "Scenarios:\n";
  for (const auto& s : ScenarioList()) {
    char line[64];
    std::snprintf(line, sizeof line, "  %-12s ", std::string(s.name).c_str());
    out += line;
    out += s.summary;
    out += '\n';
  }
  out +=
      "\nWithout --rate the load is a closed loop: each connection sends its next request when "
      "the last is answered. With --rate R it is an open loop: request i is due at start + i/R, "
      "and its latency runs from that time, even if every connection was busy.\n"
      "Users are minted with the server's JWT secret (--jwt-secret, or the file jwt-secret in "
      "--data-dir); each run uses fresh user ids.\n"
      "Exit code: 0 done and every check held; 1 a check failed; 2 bad usage or setup failed.";
  return out;
}

void Configure(CLI::App& app, BenchFlags& f) {
  // A flag given twice takes its last value, so scripts can append overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::string> names;
  for (const auto& s : ScenarioList()) names.emplace_back(s.name);
  app.add_option("scenario", f.scenario, "What to drive (see below)")
      ->required()
      ->check(CLI::IsMember(names));
  app.add_option("--target", f.target, "The server: http://HOST[:PORT]")
      ->envname("BOXOFFICE_TARGET")
      ->required();
  app.add_option("--connections", f.connections, "Kept-alive connections")
      ->envname("BOXOFFICE_CONNECTIONS")
      ->check(CLI::Range(1, kConnectionsMax))
      ->capture_default_str();
  app.add_option("--duration", f.duration_seconds, "Seconds of load")
      ->envname("BOXOFFICE_DURATION")
      ->check(CLI::Range(kDurationSecondsMin, std::chrono::duration<double>(kDurationMax).count()))
      ->capture_default_str();
  app.add_option("--rate", f.rate_per_second, "Requests per second, open loop (0: closed loop)")
      ->envname("BOXOFFICE_RATE")
      ->check(CLI::Range(0.0, kRatePerSecondMax))
      ->capture_default_str();
  app.add_option("--threads", f.threads, "Client I/O threads")
      ->envname("BOXOFFICE_THREADS")
      ->check(CLI::Range(1, kThreadsMax))
      ->capture_default_str();
  app.add_flag("--json", f.json, "Print one JSON object on stdout instead of a table")
      ->envname("BOXOFFICE_JSON");
  app.add_option("--data-dir", f.data_dir, "Data directory holding the server's jwt-secret")
      ->envname("BOXOFFICE_DATA_DIR")
      ->capture_default_str();
  app.add_option("--jwt-secret", f.jwt_secret, "The server's HS256 secret (wins over --data-dir)")
      ->envname("BOXOFFICE_JWT_SECRET");
  app.add_option("--seats", f.seats,
                 "Seats of the schedule (flash-sale 1000, pay 100000) or of each schedule "
                 "(browse 100); above 1000 a multiple of 100")
      ->envname("BOXOFFICE_SEATS")
      ->check(CLI::Range(1, kSeatsMax));
  app.add_option("--capacity", f.capacity, "ga-sale: units of the ticket type")
      ->envname("BOXOFFICE_CAPACITY")
      ->check(CLI::Range(1, kCapacityMax))
      ->capture_default_str();
  app.add_option("--users", f.users, "Buyers, each with a minted token")
      ->envname("BOXOFFICE_USERS")
      ->check(CLI::Range(1, kUsersMax))
      ->capture_default_str();
  app.add_option("--seats-per-hold-max", f.seats_per_hold_max,
                 "flash-sale, pay: a hold asks for 1 to this many seats")
      ->envname("BOXOFFICE_SEATS_PER_HOLD_MAX")
      ->check(CLI::Range(1, kSeatsPerHoldMax))
      ->capture_default_str();
  app.add_flag("--distinct-seats", f.distinct_seats,
               "flash-sale: each hold asks for seats no earlier hold asked for (in a shuffled "
               "order) until all were asked for, then random ones")
      ->envname("BOXOFFICE_DISTINCT_SEATS");
  app.add_flag("--through-waiting-room", f.through_waiting_room,
               "flash-sale: the concert's waiting room is on; every buyer is admitted first and "
               "each hold sends its buyer's Queue-Token")
      ->envname("BOXOFFICE_THROUGH_WAITING_ROOM");
  app.add_option("--quantity-max", f.quantity_max, "ga-sale: a hold asks for 1 to this many units")
      ->envname("BOXOFFICE_QUANTITY_MAX")
      ->check(CLI::Range(1, kSeatsPerHoldMax))
      ->capture_default_str();
  app.add_option("--admit-per-second", f.room.admit_per_second,
                 "queue, queue-status: the waiting room's admitPerSecond")
      ->envname("BOXOFFICE_ADMIT_PER_SECOND")
      ->check(CLI::Range(kAdmitPerSecondMin, kAdmitPerSecondMax))
      ->capture_default_str();
  app.add_option("--max-active", f.room.max_active, "queue, queue-status: its maxActive")
      ->envname("BOXOFFICE_MAX_ACTIVE")
      ->check(CLI::Range(kMaxActiveMin, kMaxActiveMax))
      ->capture_default_str();
  app.add_option("--active-ttl-seconds", f.room.active_ttl_seconds,
                 "queue, queue-status: its activeTtlSeconds")
      ->envname("BOXOFFICE_ACTIVE_TTL_SECONDS")
      ->check(CLI::Range(kActiveTtlSecondsMin, kActiveTtlSecondsMax))
      ->capture_default_str();
  app.add_option("--timeout-seconds", f.timeout_seconds,
                 "Per request; an open loop also sends nothing this long after its schedule")
      ->envname("BOXOFFICE_TIMEOUT_SECONDS")
      ->check(CLI::Range(1, kTimeoutSecondsMax))
      ->capture_default_str();
  app.footer(ScenarioHelp());
}

void PrintProgress(const Progress& p) {
  std::fprintf(stderr, "bench: %5.1f s  %lld requests  %.0f/s\n", p.elapsed_seconds,
               static_cast<long long>(p.completed), p.recent_rate_per_second);
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "bench: %s\n", message.c_str());
  return kExitUsage;
}

// --jwt-secret, else the data directory's secret file.
Result<std::string> ResolveSecret(const BenchFlags& f) {
  if (!f.jwt_secret.empty()) return f.jwt_secret;
  const std::string path = JwtSecretPath(f.data_dir);
  if (auto secret = ReadSecretFile(path)) return std::move(*secret);
  return MakeError(
      ErrorCode::kInvalidRequest,
      "no JWT secret: pass --jwt-secret, or a --data-dir whose jwt-secret file has it (" + path +
          " is missing or empty)");
}

Result<std::shared_ptr<const HttpConnectionOptions>> ResolveConnection(const BenchFlags& f) {
  auto target = ParseTargetUrl(f.target);
  if (!target.ok()) return target.error();
  auto endpoints = ResolveTarget(*target);
  if (!endpoints.ok()) return endpoints.error();
  auto http = std::make_shared<HttpConnectionOptions>();
  http->endpoints = std::move(*endpoints);
  http->host_header = target->host_header;
  http->timeout_seconds = f.timeout_seconds;
  return std::shared_ptr<const HttpConnectionOptions>(std::move(http));
}

ScenarioOptions MakeScenarioOptions(const BenchFlags& f, const std::string& secret,
                                    std::shared_ptr<const HttpConnectionOptions> http) {
  const JwtCodec jwt(secret);
  const UnixMs now_ms = SystemClock().NowMs();
  const int ttl_seconds =
      static_cast<int>(std::ceil(f.duration_seconds)) + f.timeout_seconds + kTokenSlackSeconds;
  ScenarioOptions o;
  o.run_id = NewRunId();
  o.connections = f.connections;
  o.threads = f.threads;
  o.seats = f.seats;
  o.capacity = f.capacity;
  o.seats_per_hold_max = f.seats_per_hold_max;
  o.distinct_seats = f.distinct_seats;
  o.through_waiting_room = f.through_waiting_room;
  o.quantity_max = f.quantity_max;
  o.room = f.room;
  o.http = std::move(http);
  o.admin_token = MintAdminToken(jwt, now_ms, ttl_seconds);
  o.minter = std::make_shared<UserMinter>(jwt, o.run_id, now_ms, ttl_seconds);
  o.users = std::make_shared<BenchUsers>(*o.minter, f.users);
  return o;
}

LoadOptions MakeLoadOptions(const BenchFlags& f) {
  LoadOptions load;
  load.connections = f.connections;
  load.threads = f.threads;
  load.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(f.duration_seconds));
  load.rate_per_second = f.rate_per_second;
  load.drain_max = std::chrono::seconds(f.timeout_seconds);
  if (f.duration_seconds > kProgressAfterSeconds) load.progress_interval = std::chrono::seconds(1);
  return load;
}

// Prepares, loads, checks and prints; returns the exit code.
int Execute(const BenchFlags& f, const ScenarioOptions& options) {
  auto scenario = MakeScenario(f.scenario, options);
  boost::asio::io_context control;  // setup and checks, on this thread
  {
    HttpConnection connection(control.get_executor(), options.http);
    AnswerReader reader;
    ApiClient api(connection, reader);
    const Status prepared = RunToCompletion(control, scenario->Prepare(api));
    if (!prepared.ok()) return Fail("setup failed: " + prepared.error().detail);
  }

  RunSummary summary;
  summary.load = RunLoad(
      MakeLoadOptions(f),
      [&scenario](int connection, int thread, boost::asio::any_io_executor executor) {
        return scenario->NewSession(connection, thread, std::move(executor));
      },
      PrintProgress);
  {
    // A fresh connection: the setup's may have been closed as idle during a long run.
    HttpConnection connection(control.get_executor(), options.http);
    AnswerReader reader;
    ApiClient api(connection, reader);
    summary.invariants = RunToCompletion(control, scenario->Verify(api));
  }

  summary.scenario = f.scenario;
  summary.target = f.target;
  summary.run_id = options.run_id;
  summary.connections = f.connections;
  summary.threads = f.threads;
  summary.rate_per_second = f.rate_per_second;
  summary.requested_duration_seconds = f.duration_seconds;
  summary.steps = scenario->Steps();
  summary.setup = scenario->Facts();
  const std::string out = f.json ? FormatJson(summary) + "\n" : FormatTable(summary);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  if (summary.invariants && !summary.invariants->ok()) {
    std::fprintf(stderr, "bench: an invariant check failed\n");
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  CLI::App app{"boxoffice bench: drives load against a running boxoffice server and checks it",
               "boxoffice bench"};
  BenchFlags f;
  Configure(app, f);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;  // --help is not an error
  }
  if (f.seats == 0) f.seats = DefaultSeats(f.scenario);
  if (!SeatRowsFor(f.seats)) return Fail("--seats: above 1000, give a multiple of 100");
  auto http = ResolveConnection(f);
  if (!http.ok()) return Fail(http.error().detail);
  auto secret = ResolveSecret(f);
  if (!secret.ok()) return Fail(secret.error().detail);
  try {
    return Execute(f, MakeScenarioOptions(f, *secret, *http));
  } catch (const std::exception& e) {
    return Fail(std::string("failed: ") + e.what());
  }
}

}  // namespace bo::loadgen
