-- Read models projected from the JetStream streams. Postgres is a projection: every row here can be
-- rebuilt from the streams (docs/adr/0002-projections.md). Ids are UUIDs (they travel in subjects).

CREATE TABLE events (
  id              uuid PRIMARY KEY,
  account_id      uuid NOT NULL,
  direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  source_id       uuid,
  event_type      text,
  -- Aggregated from the event's deliveries in the transaction that changes them.
  status          text NOT NULL,
  received_at     timestamptz NOT NULL,
  content_type    text,
  headers         jsonb NOT NULL DEFAULT '{}',
  body            bytea NOT NULL,
  labels          jsonb,
  idempotency_key text,
  -- Lowest sequence of this event in HS_EVENTS (a re-published duplicate never moves it).
  stream_seq      bigint NOT NULL,
  delivery_count  integer NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- GET /v1/events: newest first with keyset pagination on (received_at, id), one index per filter
-- so that a filtered page is an index range scan, never a sort of the account's events.
CREATE INDEX events_account_received ON events (account_id, received_at DESC, id DESC);
CREATE INDEX events_account_status ON events (account_id, status, received_at DESC, id DESC);
CREATE INDEX events_account_source ON events (account_id, source_id, received_at DESC, id DESC);
CREATE INDEX events_account_type ON events (account_id, event_type, received_at DESC, id DESC);
CREATE INDEX events_account_direction ON events (account_id, direction, received_at DESC, id DESC);

-- Updated in place by every fact: leave room for HOT updates (none of the updated columns is indexed).
CREATE TABLE deliveries (
  id              uuid PRIMARY KEY,
  event_id        uuid NOT NULL,
  account_id      uuid NOT NULL,
  destination_id  uuid NOT NULL,
  route_id        text,
  replay_id       text,
  -- True once the RoutedFact was applied: route_id, replay_id and created_at are then final.
  routed          boolean NOT NULL DEFAULT false,
  status          text NOT NULL,
  -- Total order of statuses used to merge facts commutatively (libs/store/src/merge.ts).
  status_rank     integer NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error      text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz
) WITH (fillfactor = 85);

CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_account_destination ON deliveries (account_id, destination_id, event_id);

CREATE TABLE attempts (
  delivery_id      uuid NOT NULL,
  n                integer NOT NULL,
  event_id         uuid NOT NULL,
  account_id       uuid NOT NULL,
  destination_id   uuid NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  status_code      integer,
  outcome          text NOT NULL,
  error_class      text,
  error            text,
  response_headers jsonb NOT NULL DEFAULT '{}',
  response_excerpt text NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, n)
);

-- That a RoutedFact was seen for an event, even before the event row exists: with no deliveries it
-- tells 'unrouted' (matched no route) apart from 'received' (not routed yet).
CREATE TABLE event_routings (
  event_id   uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  routed_at  timestamptz NOT NULL
);

-- Highest stream sequence committed per stream, written in the same transaction as the rows.
-- It measures lag; the durable consumers' ack floors are what resume the projection.
CREATE TABLE projection_checkpoints (
  stream     text PRIMARY KEY,
  last_seq   bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
