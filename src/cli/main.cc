// boxoffice: serve | migrate | token | audit | bench. Every flag also reads BOXOFFICE_<FLAG> from
// the environment; a flag on the command line wins.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "domain/token_bucket.h"

int main(int argc, char** argv) {
  CLI::App app{"boxoffice: sells scarce seats to many buyers, never twice"};
  app.require_subcommand(1);

  bo::ServeFlags serve;
  auto* s = app.add_subcommand("serve", "Run the HTTP server");
  s->add_option("--listen", serve.listen, "host:port to listen on")
      ->envname("BOXOFFICE_LISTEN")
      ->capture_default_str();
  s->add_option("--data-dir", serve.data_dir, "Directory of the embedded store and secret")
      ->envname("BOXOFFICE_DATA_DIR")
      ->capture_default_str();
  s->add_option("--store", serve.store,
                "Store URL: sqlite:PATH or postgres://user@host:port/db (default: SQLite in "
                "--data-dir)")
      ->envname("BOXOFFICE_STORE");
  s->add_option("--redis", serve.redis, "Redis URL for the waiting room")
      ->envname("BOXOFFICE_REDIS");
  s->add_option("--nats", serve.nats, "NATS URL for event delivery")->envname("BOXOFFICE_NATS");
  s->add_option("--trusted-proxies", serve.trusted_proxies,
                "Load balancers whose X-Forwarded-For names the client (addresses or networks, "
                "comma-separated, e.g. 127.0.0.1,10.0.0.0/8)")
      ->envname("BOXOFFICE_TRUSTED_PROXIES");
  s->add_option("--hold-seconds", serve.hold_seconds, "How long a hold lasts before it expires")
      ->envname("BOXOFFICE_HOLD_SECONDS")
      ->check(CLI::Range(1, 24 * 3600))
      ->capture_default_str();
  s->add_option("--threads", serve.threads, "I/O threads (default: one per core)")
      ->envname("BOXOFFICE_THREADS")
      ->check(CLI::Range(0, 256));
  s->add_option("--jwt-secret", serve.jwt_secret, "HS256 secret (default: kept in --data-dir)")
      ->envname("BOXOFFICE_JWT_SECRET");
  s->add_flag("--demo", serve.demo, "Load a small demo catalog into an empty store")
      ->envname("BOXOFFICE_DEMO");
  s->add_option("--access-log", serve.access_log, "Log one line per request (true/false)")
      ->envname("BOXOFFICE_ACCESS_LOG")
      ->capture_default_str();
  s->add_option("--batch-size-max", serve.batch_size_max, "Write jobs per store transaction")
      ->envname("BOXOFFICE_BATCH_SIZE_MAX")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  s->add_option("--db-writer-lanes", serve.db_writer_lanes,
                "PostgreSQL writer connections (jobs on one hot row share one)")
      ->envname("BOXOFFICE_DB_WRITER_LANES")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  s->add_option("--db-pool-size", serve.db_pool_size, "PostgreSQL reader connections at most")
      ->envname("BOXOFFICE_DB_POOL_SIZE")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  s->add_option("--queue-joins-per-user-per-minute", serve.queue_joins_per_user_per_minute,
                "Queue token requests a user may make a minute (in a burst, too)")
      ->envname("BOXOFFICE_QUEUE_JOINS_PER_USER_PER_MINUTE")
      ->check(CLI::Range(std::int64_t{1}, bo::kBucketCapacityMax))
      ->capture_default_str();
  s->add_option("--queue-joins-per-address-per-minute", serve.queue_joins_per_address_per_minute,
                "Queue token requests a client address may make a minute (in a burst, too)")
      ->envname("BOXOFFICE_QUEUE_JOINS_PER_ADDRESS_PER_MINUTE")
      ->check(CLI::Range(std::int64_t{1}, bo::kBucketCapacityMax))
      ->capture_default_str();
  s->add_option("--rate-limit-keys-max", serve.rate_limit_keys_max,
                "Users, and client addresses, whose queue token requests are counted at once; "
                "a new one beyond is refused until older buckets refill")
      ->envname("BOXOFFICE_RATE_LIMIT_KEYS_MAX")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();

  std::string store, data_dir = "./boxoffice-data";
  auto* m = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
  m->add_option("--store", store, "Store URL")->envname("BOXOFFICE_STORE");
  m->add_option("--data-dir", data_dir, "Data directory")->envname("BOXOFFICE_DATA_DIR");

  bo::TokenFlags token;
  auto* t = app.add_subcommand("token", "Print a signed access token");
  auto* admin = t->add_flag("--admin", token.admin, "An admin token");
  auto* user = t->add_option("--user", token.user, "A user token for this user id");
  admin->excludes(user);
  t->add_option("--name", token.name, "The name claim");
  t->add_option("--grade", token.grade, "BASIC, SILVER, GOLD or VIP")
      ->check(CLI::IsMember({"BASIC", "SILVER", "GOLD", "VIP"}))
      ->capture_default_str();
  t->add_option("--ttl-seconds", token.ttl_seconds, "Lifetime")
      ->check(CLI::Range(1, 365 * 24 * 3600))
      ->capture_default_str();
  t->add_option("--jwt-secret", token.jwt_secret, "HS256 secret")->envname("BOXOFFICE_JWT_SECRET");
  t->add_option("--data-dir", token.data_dir, "Data directory holding the secret")
      ->envname("BOXOFFICE_DATA_DIR")
      ->capture_default_str();

  std::string audit_store, audit_dir = "./boxoffice-data";
  auto* a = app.add_subcommand("audit", "Check every invariant of the stored data");
  a->add_option("--store", audit_store, "Store URL")->envname("BOXOFFICE_STORE");
  a->add_option("--data-dir", audit_dir, "Data directory")->envname("BOXOFFICE_DATA_DIR");

  // The load generator parses its own options (they depend on the scenario).
  auto* b = app.add_subcommand("bench", "Drive load; `boxoffice bench --help` lists scenarios");
  b->prefix_command();
  b->set_help_flag();

  CLI11_PARSE(app, argc, argv);

  if (*s) return bo::Serve(serve);
  if (*m) return bo::Migrate(store, data_dir);
  if (*t) {
    if (!token.admin && token.user.empty()) {
      std::fprintf(stderr, "token: give --admin or --user ID\n");
      return 2;
    }
    return bo::Token(token);
  }
  if (*a) return bo::Audit(audit_store, audit_dir);
  if (*b) return bo::Bench(b->remaining());
  return 2;
}
