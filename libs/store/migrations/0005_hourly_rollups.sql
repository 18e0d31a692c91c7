-- The rollups of 0003 by hour as well, written with them: the 24-hour and 7-day statistics read
-- 24 or 168 rows per series instead of 1,440 or 10,080 (the per-minute rows stay for the last hour).
CREATE TABLE event_rollups_hourly (
  account_id uuid NOT NULL,
  hour       timestamptz NOT NULL,
  direction  text NOT NULL,
  received   integer NOT NULL,
  PRIMARY KEY (account_id, hour, direction)
);

CREATE TABLE delivery_rollups_hourly (
  account_id      uuid NOT NULL,
  hour            timestamptz NOT NULL,
  destination_id  uuid NOT NULL,
  outcome         text NOT NULL,
  class           text NOT NULL,
  n               integer NOT NULL,
  duration_ms_sum bigint NOT NULL,
  hist            integer[] NOT NULL,
  PRIMARY KEY (account_id, hour, destination_id, outcome, class)
);
