-- Records of background work run by pg-boss (which keeps its own queue tables in schema pgboss):
-- bulk replays and exports. These are operational state, not projections: a rebuild of the read
-- models leaves them alone (docs/jobs.md).

CREATE TABLE replays (
  id           uuid PRIMARY KEY,
  account_id   uuid NOT NULL,
  status       text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'cancelled', 'failed')),
  filter       jsonb NOT NULL,
  scanned      bigint NOT NULL DEFAULT 0,
  matched      bigint NOT NULL DEFAULT 0,
  replayed     bigint NOT NULL DEFAULT 0,
  deliveries   bigint NOT NULL DEFAULT 0,
  -- Last HS_EVENTS sequence whose batch is fully counted: a retried job resumes after it.
  last_seq     bigint NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  error        text
);
CREATE INDEX replays_account_created ON replays (account_id, created_at DESC, id DESC);

CREATE TABLE exports (
  id           uuid PRIMARY KEY,
  account_id   uuid NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('events', 'attempts')),
  format       text NOT NULL CHECK (format IN ('ndjson', 'csv')),
  filter       jsonb NOT NULL,
  status       text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'expired')),
  row_count    bigint NOT NULL DEFAULT 0,
  byte_count   bigint NOT NULL DEFAULT 0,
  object_name  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  -- Set when the export finishes; the retention job removes the file after it.
  expires_at   timestamptz,
  error        text
);
CREATE INDEX exports_account_created ON exports (account_id, created_at DESC, id DESC);
CREATE INDEX exports_expiring ON exports (expires_at) WHERE status IN ('completed', 'failed');

-- Retention finds the first sequence of an account it must keep by walking this index from the
-- lowest sequence; attempt exports page by (started_at, delivery_id, n).
CREATE INDEX events_account_seq ON events (account_id, stream_seq);
CREATE INDEX attempts_account_started ON attempts (account_id, started_at, delivery_id, n);
