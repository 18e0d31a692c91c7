-- Read models of the console: dead letters with their reason, and per-minute rollups that answer
-- GET /v1/stats without reading the events or attempts tables. Both are projections like those of
-- 0001: written in the projection's transactions, emptied and rebuilt with them.

-- One row per dead-lettered delivery, from HS_DEADLETTERS. When two dead letters name one delivery
-- (the deliverer's and the dead-letter watch's), the one that knows of more attempts wins, then the
-- earlier: the same row whatever order they are projected in.
CREATE TABLE dead_letters (
  delivery_id      uuid PRIMARY KEY,
  account_id       uuid NOT NULL,
  event_id         uuid NOT NULL,
  destination_id   uuid NOT NULL,
  reason           text NOT NULL,
  attempts         integer NOT NULL,
  last_status_code integer,
  last_error       text,
  dead_at          timestamptz NOT NULL
);
-- GET /v1/dead-letters: newest first, keyset-paginated, per account (and per destination).
CREATE INDEX dead_letters_account ON dead_letters (account_id, dead_at DESC, delivery_id DESC);
CREATE INDEX dead_letters_account_destination ON dead_letters (account_id, destination_id, dead_at DESC, delivery_id DESC);

-- Events received per minute. Counted when the event's row is first inserted, so that a batch
-- projected twice counts it once.
CREATE TABLE event_rollups (
  account_id uuid NOT NULL,
  minute     timestamptz NOT NULL,
  direction  text NOT NULL,
  received   integer NOT NULL,
  PRIMARY KEY (account_id, minute, direction)
);

-- Delivery attempts per minute × destination × outcome × status class, counted when the attempt's
-- row is first inserted; and dead letters (outcome 'dead_lettered', class = reason), counted by
-- the dead_letters row that stands. `hist` counts durations in fixed log-scale buckets
-- (libs/store/src/rollups.ts), from which percentiles are read.
CREATE TABLE delivery_rollups (
  account_id      uuid NOT NULL,
  minute          timestamptz NOT NULL,
  destination_id  uuid NOT NULL,
  outcome         text NOT NULL,
  class           text NOT NULL,
  n               integer NOT NULL,
  duration_ms_sum bigint NOT NULL,
  hist            integer[] NOT NULL,
  PRIMARY KEY (account_id, minute, destination_id, outcome, class)
);

-- Per destination, its latest failed attempt and its latest success (the newest by started_at,
-- then by delivery id and attempt: the same row in any projection order). The console derives
-- failing-now and the circuit from them.
CREATE TABLE destination_health (
  destination_id       uuid PRIMARY KEY,
  account_id           uuid NOT NULL,
  last_error_at        timestamptz,
  last_error           text,
  last_status_code     integer,
  last_error_key       text,
  last_success_at      timestamptz
);
