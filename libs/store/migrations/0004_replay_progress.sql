-- A bulk replay's extent in the events stream, fixed when it first starts: with last_seq it gives
-- its progress (processed of total stream positions) for a progress bar that reaches its end.
ALTER TABLE replays ADD COLUMN first_seq bigint, ADD COLUMN end_seq bigint;
