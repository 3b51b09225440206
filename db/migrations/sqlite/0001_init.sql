-- The whole embedded schema. Every inventory invariant is also a CHECK, so that a bug in a
-- conditional write fails loudly instead of overselling.

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  grade         TEXT NOT NULL DEFAULT 'BASIC',
  role          TEXT NOT NULL DEFAULT 'user',
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE concerts (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  artist        TEXT NOT NULL,
  venue         TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE schedules (
  id              TEXT PRIMARY KEY,
  concert_id      TEXT NOT NULL REFERENCES concerts(id),
  starts_at_ms    INTEGER NOT NULL,
  seats_total     INTEGER NOT NULL CHECK (seats_total >= 0),
  seats_available INTEGER NOT NULL CHECK (seats_available >= 0 AND seats_available <= seats_total)
) WITHOUT ROWID;
CREATE INDEX schedules_by_concert_start ON schedules(concert_id, starts_at_ms);

CREATE TABLE seats (
  id             TEXT PRIMARY KEY,
  schedule_id    TEXT NOT NULL REFERENCES schedules(id),
  section        TEXT NOT NULL,
  row_label      TEXT NOT NULL,
  number         INTEGER NOT NULL,
  grade          TEXT NOT NULL,
  price          INTEGER NOT NULL CHECK (price >= 0),
  status         TEXT NOT NULL DEFAULT 'AVAILABLE' CHECK (status IN ('AVAILABLE', 'HELD', 'SOLD')),
  reservation_id TEXT,
  CHECK ((status = 'AVAILABLE') = (reservation_id IS NULL)),
  UNIQUE (schedule_id, section, row_label, number)
) WITHOUT ROWID;
CREATE INDEX seats_by_reservation ON seats(reservation_id) WHERE reservation_id IS NOT NULL;

CREATE TABLE ticket_types (
  id          TEXT PRIMARY KEY,
  schedule_id TEXT NOT NULL REFERENCES schedules(id),
  name        TEXT NOT NULL,
  price       INTEGER NOT NULL CHECK (price >= 0),
  capacity    INTEGER NOT NULL CHECK (capacity >= 0),
  taken       INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= capacity)
) WITHOUT ROWID;
CREATE INDEX ticket_types_by_schedule ON ticket_types(schedule_id);

CREATE TABLE reservations (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  schedule_id    TEXT NOT NULL REFERENCES schedules(id),
  concert_id     TEXT NOT NULL,
  ticket_type_id TEXT,
  quantity       INTEGER NOT NULL CHECK (quantity > 0),
  amount         INTEGER NOT NULL CHECK (amount >= 0),
  status         TEXT NOT NULL CHECK (status IN ('HELD', 'PAID', 'EXPIRED', 'CANCELLED', 'REFUNDED')),
  expires_at_ms  INTEGER NOT NULL,
  created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX reservations_by_user ON reservations(user_id, id);
CREATE INDEX reservations_held_by_expiry ON reservations(expires_at_ms) WHERE status = 'HELD';

-- The seats a reservation asked for, in its order; kept after it ends, for history and audit.
CREATE TABLE reservation_seats (
  reservation_id TEXT NOT NULL,
  position       INTEGER NOT NULL,
  seat_id        TEXT NOT NULL,
  PRIMARY KEY (reservation_id, position)
) WITHOUT ROWID;
CREATE INDEX reservation_seats_by_seat ON reservation_seats(seat_id);

CREATE TABLE wallets (
  user_id TEXT PRIMARY KEY,
  balance INTEGER NOT NULL CHECK (balance >= 0)
) WITHOUT ROWID;

CREATE TABLE wallet_transactions (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('CHARGE', 'PAYMENT', 'REFUND')),
  amount        INTEGER NOT NULL CHECK (amount >= 0),
  balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
  payment_id    TEXT,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX wallet_transactions_by_user ON wallet_transactions(user_id, id);

CREATE TABLE payments (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  reservation_id TEXT NOT NULL UNIQUE,
  method         TEXT NOT NULL,
  amount         INTEGER NOT NULL CHECK (amount >= 0),
  status         TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE tickets (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  payment_id     TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  schedule_id    TEXT NOT NULL,
  seat_id        TEXT,
  ticket_type_id TEXT,
  code           TEXT NOT NULL UNIQUE,
  status         TEXT NOT NULL CHECK (status IN ('VALID', 'REFUNDED'))
) WITHOUT ROWID;
CREATE INDEX tickets_by_user ON tickets(user_id, id);
CREATE INDEX tickets_by_payment ON tickets(payment_id);
CREATE INDEX tickets_by_reservation ON tickets(reservation_id);

CREATE TABLE outbox (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  time_ms      INTEGER NOT NULL,
  data         TEXT NOT NULL,
  delivered_at_ms INTEGER
);

CREATE TABLE idempotency_keys (
  user_id       TEXT NOT NULL,
  key           TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,
  status        INTEGER NOT NULL,
  body          TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at_ms);
