-- The audit log's read model, projected from HS_AUDIT (docs/adr/0018-audit-log.md). One row per
-- entry; an entry projected again (a redelivery, a rebuild) is the same row.
CREATE TABLE audit_log (
  id            uuid PRIMARY KEY,
  account_id    uuid NOT NULL,
  at            timestamptz NOT NULL,
  actor_type    text NOT NULL,
  actor_id      text NOT NULL,
  actor_name    text,
  action        text NOT NULL,
  resource_type text NOT NULL,
  resource_id   text,
  -- The ids involved, by role ({"destination_id": "…", "delivery_ids": ["…"]}).
  ids           jsonb NOT NULL DEFAULT '{}',
  -- The same ids flattened, for the resource_id filter.
  id_list       text[] NOT NULL DEFAULT '{}',
  fields        text[] NOT NULL DEFAULT '{}',
  ip            text,
  user_agent    text,
  method        text NOT NULL,
  route         text NOT NULL,
  status        integer NOT NULL,
  outcome       text NOT NULL,
  request_id    text,
  stream_seq    bigint NOT NULL
);

-- GET /v1/audit-log: newest first with keyset pagination on (at, id); one index per common filter.
CREATE INDEX audit_log_account_at ON audit_log (account_id, at DESC, id DESC);
CREATE INDEX audit_log_account_actor ON audit_log (account_id, actor_id, at DESC, id DESC);
CREATE INDEX audit_log_account_action ON audit_log (account_id, action, at DESC, id DESC);
CREATE INDEX audit_log_id_list ON audit_log USING gin (id_list);
