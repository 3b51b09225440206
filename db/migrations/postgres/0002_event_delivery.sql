-- Event delivery on PostgreSQL: the publication the outbox relay streams, its progress, webhook
-- endpoints and their deliveries.

-- The relay reads outbox inserts from a logical replication slot (pgoutput) on this
-- publication. Inserts only: the relay's own deletes (pruning) are not streamed.
CREATE PUBLICATION boxoffice_outbox FOR TABLE outbox WITH (publish = 'insert');

-- What pruning removed: outbox rows whose times were all <= through_time_ms (the audit skips
-- facts no newer than that).
CREATE TABLE outbox_pruned (
  one             INTEGER PRIMARY KEY CHECK (one = 1),
  through_seq     BIGINT NOT NULL,
  through_time_ms BIGINT NOT NULL
);

-- Per replication slot: the end LSN of the last transaction fanned out to webhooks (written
-- in the fan-out's transaction, so that a replay fans nothing out twice), and whether the
-- outbox rows older than the slot were moved behind it.
CREATE TABLE relay_state (
  slot_name      TEXT COLLATE "C" PRIMARY KEY,
  fanned_out_lsn BIGINT NOT NULL DEFAULT 0,
  backfilled     BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE webhook_endpoints (
  id             TEXT COLLATE "C" PRIMARY KEY,
  url            TEXT NOT NULL,
  events         TEXT NOT NULL,  -- event types separated by spaces, or "*"
  secret         TEXT NOT NULL,  -- whsec_<base64>
  created_at_ms  BIGINT NOT NULL,
  disabled_at_ms BIGINT          -- set when the receiver answered 410 Gone
);

-- The events some delivery needs, copied at fan-out: outbox rows are pruned as soon as the
-- relay has passed them, and a delivery may be retried for a day.
CREATE TABLE webhook_events (
  seq     BIGINT PRIMARY KEY,
  id      TEXT COLLATE "C" NOT NULL,
  type    TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  data    TEXT NOT NULL
);

-- One event to one endpoint. Pending while next_attempt_at_ms is set (an attempt under way
-- moves it a lease ahead); delivered when delivered_at_ms is set; given up when neither is.
CREATE TABLE webhook_deliveries (
  endpoint_id        TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id           TEXT COLLATE "C" NOT NULL,
  event_seq          BIGINT NOT NULL,
  type               TEXT NOT NULL,
  created_at_ms      BIGINT NOT NULL,
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms BIGINT,
  last_status        INTEGER,  -- HTTP status of the last attempt, 0 for no answer
  delivered_at_ms    BIGINT,
  PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due
  ON webhook_deliveries(endpoint_id, next_attempt_at_ms, event_seq)
  WHERE next_attempt_at_ms IS NOT NULL;
CREATE INDEX webhook_deliveries_pending_seq ON webhook_deliveries(event_seq)
  WHERE next_attempt_at_ms IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, event_seq);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(created_at_ms)
  WHERE next_attempt_at_ms IS NULL;
