// The outbox `bench relay` measures, in either shape: a fresh SQLite outbox in a temporary
// directory (the embedded shape, read from its table), or a PostgreSQL database read through
// its logical replication stream by the outbox relay (the scale-out shape). Events are
// committed through the real store, the publisher reads source(), and what `serve` runs
// beside the publisher runs here too.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ports/clock.h"
#include "ports/id_generator.h"
#include "ports/outbox_source.h"
#include "ports/store.h"

namespace bo {
struct EventMetrics;
}

namespace bo::relaybench {

class OutboxShape {
 public:
  virtual ~OutboxShape() = default;

  const Clock& clock() const { return clock_; }
  virtual const char* name() const = 0;
  // What the publisher reads.
  virtual OutboxSource& source() = 0;
  // Starts the consumers `serve` runs beside the publisher (the webhook fan-out), each woken
  // as in `serve`; `wake_publisher` wakes the publisher. StopConsumers() before it goes.
  virtual void StartConsumers(std::function<void()> wake_publisher) = 0;
  virtual void StopConsumers() = 0;

  // Commits `count` events in jobs of up to `per_job`, each stamped when its job runs; waits
  // for the last commit.
  void Append(int count, int per_job);
  // Commits `count` events one per job, the i-th submitted at start + i / rate_per_second
  // whether or not earlier ones were committed (open loop).
  void Drive(int count, double rate_per_second);

 protected:
  virtual Store& store() = 0;
  SystemClock clock_;

 private:
  Event NewEvent();  // on the writer thread only
  TimeOrderedIdGenerator ids_{clock_};
};

std::unique_ptr<OutboxShape> MakeSqliteShape(EventMetrics& metrics);
// Migrates the database at `url` and starts the relay; returns once it is active. Throws if
// it cannot (wal_level, connection). REQUIRES: `metrics` outlives the shape.
std::unique_ptr<OutboxShape> MakePostgresShape(const std::string& url, EventMetrics& metrics);

}  // namespace bo::relaybench
