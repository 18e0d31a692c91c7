-- Customers (outbound mode): the account's own tenant id on the events published for one customer
-- and on the deliveries to a customer's destinations (its customer when routed). Both are written
-- by the projection from the stream messages, so a rebuild gives them back.
ALTER TABLE events ADD COLUMN customer_id text;
ALTER TABLE deliveries ADD COLUMN customer_id text;

-- GET /v1/events?customer_id=… reads the events published for the customer newest first, and the
-- deliveries to its destinations by event; most rows name no customer, so only those that do are indexed.
CREATE INDEX events_account_customer ON events (account_id, customer_id, received_at DESC, id DESC)
  WHERE customer_id IS NOT NULL;
CREATE INDEX deliveries_account_customer ON deliveries (account_id, customer_id, event_id)
  WHERE customer_id IS NOT NULL;
