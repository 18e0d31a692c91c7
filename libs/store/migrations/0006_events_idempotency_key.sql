-- GET /v1/events?idempotency_key=… finds an account's events by their key without scanning the
-- account's log; most events have no key, so only those with one are indexed. The newest-first
-- order of the list is in the index too, so a key with many events is read a page at a time.
CREATE INDEX events_account_idempotency_key ON events (account_id, idempotency_key, received_at DESC, id DESC)
  WHERE idempotency_key IS NOT NULL;
