-- The whole shared schema, the same tables and constraints as the embedded one
-- (db/migrations/sqlite), so that the database enforces every inventory invariant too.
-- Timestamps are milliseconds since the epoch and money is whole points, both BIGINT. Text that
-- is ordered or paged on uses the "C" collation, so that every database orders ids the same way
-- as SQLite (byte order), whatever its default collation.

CREATE TABLE users (
  id            TEXT COLLATE "C" PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  grade         TEXT NOT NULL DEFAULT 'BASIC',
  role          TEXT NOT NULL DEFAULT 'user',
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE concerts (
  id            TEXT COLLATE "C" PRIMARY KEY,
  name          TEXT NOT NULL,
  artist        TEXT NOT NULL,
  venue         TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE schedules (
  id              TEXT COLLATE "C" PRIMARY KEY,
  concert_id      TEXT COLLATE "C" NOT NULL REFERENCES concerts(id),
  starts_at_ms    BIGINT NOT NULL,
  seats_total     INTEGER NOT NULL CHECK (seats_total >= 0),
  seats_available INTEGER NOT NULL CHECK (seats_available >= 0 AND seats_available <= seats_total)
);
CREATE INDEX schedules_by_concert_start ON schedules(concert_id, starts_at_ms);

CREATE TABLE seats (
  id             TEXT COLLATE "C" PRIMARY KEY,
  schedule_id    TEXT COLLATE "C" NOT NULL REFERENCES schedules(id),
  section        TEXT COLLATE "C" NOT NULL,
  row_label      TEXT COLLATE "C" NOT NULL,
  number         INTEGER NOT NULL,
  grade          TEXT NOT NULL,
  price          BIGINT NOT NULL CHECK (price >= 0),
  status         TEXT NOT NULL DEFAULT 'AVAILABLE' CHECK (status IN ('AVAILABLE', 'HELD', 'SOLD')),
  reservation_id TEXT COLLATE "C",
  CHECK ((status = 'AVAILABLE') = (reservation_id IS NULL)),
  UNIQUE (schedule_id, section, row_label, number)
);
CREATE INDEX seats_by_reservation ON seats(reservation_id) WHERE reservation_id IS NOT NULL;

CREATE TABLE ticket_types (
  id          TEXT COLLATE "C" PRIMARY KEY,
  schedule_id TEXT COLLATE "C" NOT NULL REFERENCES schedules(id),
  name        TEXT NOT NULL,
  price       BIGINT NOT NULL CHECK (price >= 0),
  capacity    INTEGER NOT NULL CHECK (capacity >= 0),
  taken       INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= capacity)
);
CREATE INDEX ticket_types_by_schedule ON ticket_types(schedule_id);

CREATE TABLE reservations (
  id             TEXT COLLATE "C" PRIMARY KEY,
  user_id        TEXT COLLATE "C" NOT NULL,
  schedule_id    TEXT COLLATE "C" NOT NULL REFERENCES schedules(id),
  concert_id     TEXT COLLATE "C" NOT NULL,
  ticket_type_id TEXT COLLATE "C",
  quantity       INTEGER NOT NULL CHECK (quantity > 0),
  amount         BIGINT NOT NULL CHECK (amount >= 0),
  status         TEXT NOT NULL CHECK (status IN ('HELD', 'PAID', 'EXPIRED', 'CANCELLED', 'REFUNDED')),
  expires_at_ms  BIGINT NOT NULL,
  created_at_ms  BIGINT NOT NULL
);
CREATE INDEX reservations_by_user ON reservations(user_id, id);
CREATE INDEX reservations_held_by_expiry ON reservations(expires_at_ms, id) WHERE status = 'HELD';

-- The seats a reservation asked for, in its order; kept after it ends, for history and audit.
CREATE TABLE reservation_seats (
  reservation_id TEXT COLLATE "C" NOT NULL,
  position       INTEGER NOT NULL,
  seat_id        TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (reservation_id, position)
);
CREATE INDEX reservation_seats_by_seat ON reservation_seats(seat_id);

CREATE TABLE wallets (
  user_id TEXT COLLATE "C" PRIMARY KEY,
  balance BIGINT NOT NULL CHECK (balance >= 0)
);

CREATE TABLE wallet_transactions (
  id            TEXT COLLATE "C" PRIMARY KEY,
  user_id       TEXT COLLATE "C" NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('CHARGE', 'PAYMENT', 'REFUND')),
  amount        BIGINT NOT NULL CHECK (amount >= 0),
  balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
  payment_id    TEXT COLLATE "C",
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX wallet_transactions_by_user ON wallet_transactions(user_id, id);

CREATE TABLE payments (
  id             TEXT COLLATE "C" PRIMARY KEY,
  user_id        TEXT COLLATE "C" NOT NULL,
  reservation_id TEXT COLLATE "C" NOT NULL UNIQUE,
  method         TEXT NOT NULL,
  amount         BIGINT NOT NULL CHECK (amount >= 0),
  status         TEXT NOT NULL,
  created_at_ms  BIGINT NOT NULL
);

CREATE TABLE tickets (
  id             TEXT COLLATE "C" PRIMARY KEY,
  user_id        TEXT COLLATE "C" NOT NULL,
  payment_id     TEXT COLLATE "C" NOT NULL,
  reservation_id TEXT COLLATE "C" NOT NULL,
  schedule_id    TEXT COLLATE "C" NOT NULL,
  seat_id        TEXT COLLATE "C",
  ticket_type_id TEXT COLLATE "C",
  code           TEXT NOT NULL UNIQUE,
  status         TEXT NOT NULL CHECK (status IN ('VALID', 'REFUNDED'))
);
CREATE INDEX tickets_by_user ON tickets(user_id, id);
CREATE INDEX tickets_by_payment ON tickets(payment_id);
CREATE INDEX tickets_by_reservation ON tickets(reservation_id);

CREATE TABLE outbox (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              TEXT COLLATE "C" NOT NULL UNIQUE,
  type            TEXT NOT NULL,
  time_ms         BIGINT NOT NULL,
  data            TEXT NOT NULL,
  delivered_at_ms BIGINT
);

CREATE TABLE idempotency_keys (
  user_id       TEXT COLLATE "C" NOT NULL,
  key           TEXT COLLATE "C" NOT NULL,
  fingerprint   TEXT NOT NULL,
  status        INTEGER NOT NULL,
  body          TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at_ms, user_id, key);
