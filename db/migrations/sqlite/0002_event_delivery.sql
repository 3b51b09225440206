-- Event delivery: each outbox consumer's cursor, webhook endpoints and their deliveries.

-- The last outbox seq a consumer ("webhooks", "nats") has made durable elsewhere.
CREATE TABLE outbox_cursors (
  consumer TEXT PRIMARY KEY,
  seq      INTEGER NOT NULL
);

-- What pruning removed: every outbox row with seq <= through_seq, whose times were all
-- <= through_time_ms (the audit skips facts older than that).
CREATE TABLE outbox_pruned (
  one             INTEGER PRIMARY KEY CHECK (one = 1),
  through_seq     INTEGER NOT NULL,
  through_time_ms INTEGER NOT NULL
);

CREATE TABLE webhook_endpoints (
  id             TEXT PRIMARY KEY,
  url            TEXT NOT NULL,
  events         TEXT NOT NULL,  -- event types separated by spaces, or "*"
  secret         TEXT NOT NULL,  -- whsec_<base64>
  created_at_ms  INTEGER NOT NULL,
  disabled_at_ms INTEGER         -- set when the receiver answered 410 Gone
);

-- One event to one endpoint. Pending while next_attempt_at_ms is set; delivered when
-- delivered_at_ms is set; given up when neither is.
CREATE TABLE webhook_deliveries (
  endpoint_id        TEXT NOT NULL,
  event_id           TEXT NOT NULL,
  event_seq          INTEGER NOT NULL,
  type               TEXT NOT NULL,
  created_at_ms      INTEGER NOT NULL,
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER,
  last_status        INTEGER,  -- HTTP status of the last attempt, 0 for no answer
  delivered_at_ms    INTEGER,
  PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due
  ON webhook_deliveries(endpoint_id, next_attempt_at_ms, event_seq)
  WHERE next_attempt_at_ms IS NOT NULL;
CREATE INDEX webhook_deliveries_pending_seq ON webhook_deliveries(event_seq)
  WHERE next_attempt_at_ms IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, event_seq);
