// The table writers of a projection transaction: multi-row writes through unnest(), one statement
// per table and batch. Every ON CONFLICT applies the same commutative rule as merge.ts (a delivery's
// status: the higher status_rank, the domain's deliveryRank), so replays and reordering change
// nothing (docs/adr/0002-projections.md).
import type { AttemptFact } from '@hookstream/contracts';
import { TERMINAL_RANK } from '@hookstream/domain';
import {
  type DeliveryPatch,
  type DeliveryRow,
  type EventInput,
  type RoutedDelivery,
  type Routing,
  pgJson,
  pgText,
} from './merge.ts';
import { type ArrayElement, pgArray } from './arrays.ts';
import type { EventState } from './event-status.ts';
import type { PoolClient } from './pool.ts';

/** The earliest routing of each event wins. */
export async function upsertRoutings(c: PoolClient, routings: readonly Routing[]): Promise<void> {
  await c.query(
    `INSERT INTO event_routings (event_id, account_id, routed_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])
     ON CONFLICT (event_id) DO UPDATE SET routed_at = excluded.routed_at
     WHERE excluded.routed_at < event_routings.routed_at AND excluded.account_id = event_routings.account_id`,
    [
      pgArray(routings.map((r) => r.event_id)),
      pgArray(routings.map((r) => r.account_id)),
      pgArray(routings.map((r) => r.routed_at)),
    ],
  );
}

/** A routed delivery: 'queued' when new; one its attempts stored first gets the routed columns. */
export async function upsertRoutedDeliveries(c: PoolClient, d: readonly RoutedDelivery[]): Promise<void> {
  await c.query(
    `INSERT INTO deliveries AS d (id, event_id, account_id, destination_id, route_id, replay_id, routed, status, status_rank, attempts, created_at, customer_id)
     SELECT id, event_id, account_id, destination_id, route_id, replay_id, true, 'queued', 0, 0, created_at, customer_id
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
       AS t(id, event_id, account_id, destination_id, route_id, replay_id, created_at, customer_id)
     ON CONFLICT (id) DO UPDATE SET
       route_id = excluded.route_id, replay_id = excluded.replay_id, customer_id = excluded.customer_id, routed = true,
       created_at = CASE WHEN d.routed THEN LEAST(d.created_at, excluded.created_at) ELSE excluded.created_at END,
       updated_at = now()
     WHERE d.account_id = excluded.account_id AND (NOT d.routed OR excluded.created_at < d.created_at)`,
    [
      pgArray(d.map((x) => x.id)),
      pgArray(d.map((x) => x.event_id)),
      pgArray(d.map((x) => x.account_id)),
      pgArray(d.map((x) => x.destination_id)),
      pgArray(d.map((x) => pgText(x.route_id))),
      pgArray(d.map((x) => pgText(x.replay_id))),
      pgArray(d.map((x) => x.created_at)),
      pgArray(d.map((x) => pgText(x.customer_id))),
    ],
  );
}

/**
 * New rows take their status from `statuses` ('received' when absent); existing rows keep theirs.
 * Returns the ids of the rows inserted (not those of rows replaced by a lower sequence).
 */
export async function insertEvents(
  c: PoolClient,
  events: readonly EventInput[],
  statuses: ReadonlyMap<string, EventState>,
): Promise<string[]> {
  const col = (f: (e: EventInput) => ArrayElement) => pgArray(events.map(f));
  let at = 0;
  const offsets = col((e) => {
    const o = at;
    at += e.body.byteLength;
    return o;
  });
  // A lower sequence of the same event (a duplicate published outside the dedupe window) replaces
  // the row, so that the result does not depend on which copy was projected first.
  const r = await c.query<{ id: string; inserted: boolean }>(
    `INSERT INTO events (id, account_id, direction, source_id, event_type, status, received_at, content_type, headers, body, labels, idempotency_key, stream_seq, delivery_count, customer_id)
     SELECT id, account_id, direction, source_id, event_type, status, received_at, content_type, headers, body, labels, idempotency_key, stream_seq, n, customer_id
     FROM (SELECT *, substring($9::bytea FROM body_at + 1 FOR body_len) AS body
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::timestamptz[], $7::text[], $8::jsonb[], $10::jsonb[], $11::text[],
                       $12::int8[], $13::text[], $14::int4[], $15::int4[], $16::int4[], $17::text[])
             AS u(id, account_id, direction, source_id, event_type, received_at, content_type, headers, labels, idempotency_key, stream_seq, status, n,
                  body_at, body_len, customer_id)) AS t
     ON CONFLICT (id) DO UPDATE SET
       direction = excluded.direction, source_id = excluded.source_id, event_type = excluded.event_type,
       received_at = excluded.received_at, content_type = excluded.content_type, headers = excluded.headers,
       body = excluded.body, labels = excluded.labels, idempotency_key = excluded.idempotency_key, customer_id = excluded.customer_id,
       stream_seq = excluded.stream_seq, updated_at = now()
     WHERE excluded.stream_seq < events.stream_seq AND excluded.account_id = events.account_id
     RETURNING id, (xmax = 0) AS inserted`,
    [
      col((e) => e.meta.event_id),
      col((e) => e.meta.account_id),
      col((e) => e.meta.direction),
      col((e) => e.meta.source_id),
      col((e) => pgText(e.meta.event_type)),
      col((e) => e.meta.received_at),
      col((e) => pgText(e.meta.content_type)),
      col((e) => pgJson(e.meta.headers) ?? '{}'),
      // The bodies as one binary parameter, cut by offset and length: a bytea[] would travel as hex
      // text, twice the size, escaped by the client and parsed by the server element by element.
      Buffer.concat(events.map((e) => e.body)),
      col((e) => pgJson(e.meta.labels)),
      col((e) => pgText(e.meta.idempotency_key)),
      col((e) => e.seq),
      col((e) => statuses.get(e.meta.event_id)?.status ?? 'received'),
      col((e) => statuses.get(e.meta.event_id)?.n ?? 0),
      offsets,
      col((e) => e.body.byteLength),
      // Outbound only: an inbound event names no customer, whatever its message says.
      col((e) => (e.meta.direction === 'outbound' ? pgText(e.meta.customer_id ?? null) : null)),
    ],
  );
  return r.rows.filter((x) => x.inserted).map((x) => x.id);
}

/** Inserts the rows whose id is not stored yet; returns the ids inserted. */
export async function insertNewDeliveries(c: PoolClient, rows: readonly DeliveryRow[]): Promise<string[]> {
  const col = (f: (d: DeliveryRow) => ArrayElement) => pgArray(rows.map(f));
  const r = await c.query<{ id: string }>(
    `INSERT INTO deliveries (id, event_id, account_id, destination_id, route_id, replay_id, routed, status, status_rank, attempts,
                             last_status_code, last_error, next_attempt_at, created_at, customer_id)
     SELECT id, event_id, account_id, destination_id, route_id, replay_id, true, status, status_rank, attempts,
            last_status_code, last_error, next_attempt_at, created_at, customer_id
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::int4[], $9::int4[], $10::int4[],
                 $11::text[], $12::timestamptz[], $13::timestamptz[], $14::text[])
       AS t(id, event_id, account_id, destination_id, route_id, replay_id, status, status_rank, attempts, last_status_code, last_error,
            next_attempt_at, created_at, customer_id)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [
      col((d) => d.id),
      col((d) => d.event_id),
      col((d) => d.account_id),
      col((d) => d.destination_id),
      col((d) => pgText(d.route_id)),
      col((d) => pgText(d.replay_id)),
      col((d) => d.status),
      col((d) => d.status_rank),
      col((d) => d.attempts),
      col((d) => d.last_status_code),
      col((d) => pgText(d.last_error)),
      col((d) => d.next_attempt_at),
      col((d) => d.created_at),
      col((d) => pgText(d.customer_id)),
    ],
  );
  return r.rows.map((x) => x.id);
}

// An attempt fact carries its own last_* values from attempt n on; a dead letter only when it
// knows of a later attempt, or when nothing better is stored (e.g. a max-deliveries advisory).
const ATTEMPT_TAKES_LAST = 'excluded.attempts >= d.attempts';
const DEAD_LETTER_TAKES_LAST =
  '(excluded.attempts > d.attempts OR (excluded.attempts = d.attempts AND d.last_status_code IS NULL AND d.last_error IS NULL))';

/** What a batch's attempt facts say of deliveries, merged into their rows. */
export async function upsertAttemptPatches(c: PoolClient, patches: readonly DeliveryPatch[]): Promise<void> {
  await upsertPatches(c, patches, ATTEMPT_TAKES_LAST);
}

/** What a batch's dead letters say of deliveries, merged into their rows. */
export async function upsertDeadLetterPatches(c: PoolClient, patches: readonly DeliveryPatch[]): Promise<void> {
  await upsertPatches(c, patches, DEAD_LETTER_TAKES_LAST);
}

// The status column keeps the fact of the higher status_rank (deliveryRank): the merge rule, as SQL.
async function upsertPatches(c: PoolClient, patches: readonly DeliveryPatch[], take: string): Promise<void> {
  const col = (f: (p: DeliveryPatch) => ArrayElement) => pgArray(patches.map(f));
  await c.query(
    `INSERT INTO deliveries AS d (id, event_id, account_id, destination_id, routed, status, status_rank, attempts,
                                  last_status_code, last_error, next_attempt_at, created_at)
     SELECT id, event_id, account_id, destination_id, false, status, status_rank, attempts, last_status_code, last_error,
            CASE WHEN status_rank >= ${TERMINAL_RANK} THEN NULL ELSE next_attempt_at END, created_at
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int4[], $7::int4[], $8::int4[], $9::text[], $10::timestamptz[], $11::timestamptz[])
       AS t(id, event_id, account_id, destination_id, status, status_rank, attempts, last_status_code, last_error, next_attempt_at, created_at)
     ON CONFLICT (id) DO UPDATE SET
       status = CASE WHEN excluded.status_rank > d.status_rank THEN excluded.status ELSE d.status END,
       status_rank = GREATEST(d.status_rank, excluded.status_rank),
       last_status_code = CASE WHEN ${take} THEN excluded.last_status_code ELSE d.last_status_code END,
       last_error = CASE WHEN ${take} THEN excluded.last_error ELSE d.last_error END,
       next_attempt_at = CASE WHEN GREATEST(d.status_rank, excluded.status_rank) >= ${TERMINAL_RANK} THEN NULL
                              WHEN ${take} THEN excluded.next_attempt_at ELSE d.next_attempt_at END,
       attempts = GREATEST(d.attempts, excluded.attempts),
       created_at = CASE WHEN d.routed THEN d.created_at ELSE LEAST(d.created_at, excluded.created_at) END,
       updated_at = now()
     WHERE d.account_id = excluded.account_id`,
    [
      col((p) => p.id),
      col((p) => p.event_id),
      col((p) => p.account_id),
      col((p) => p.destination_id),
      col((p) => p.status),
      col((p) => p.status_rank),
      col((p) => p.attempts),
      col((p) => p.last_status_code),
      col((p) => pgText(p.last_error)),
      col((p) => p.next_attempt_at),
      col((p) => p.created_at),
    ],
  );
}

/** Inserts the attempts not stored yet; returns those (the rollups count each attempt once). */
export async function insertAttempts(c: PoolClient, rows: readonly AttemptFact[]): Promise<AttemptFact[]> {
  const col = (f: (a: AttemptFact) => ArrayElement) => pgArray(rows.map(f));
  const r = await c.query<{ delivery_id: string; n: number }>(
    `INSERT INTO attempts (delivery_id, n, event_id, account_id, destination_id, started_at, duration_ms, status_code, outcome,
                           error_class, error, response_headers, response_excerpt)
     SELECT * FROM unnest($1::uuid[], $2::int4[], $3::uuid[], $4::uuid[], $5::uuid[], $6::timestamptz[], $7::int4[], $8::int4[],
                          $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[])
     ON CONFLICT (delivery_id, n) DO NOTHING
     RETURNING delivery_id, n`,
    [
      col((a) => a.delivery_id),
      col((a) => a.attempt),
      col((a) => a.event_id),
      col((a) => a.account_id),
      col((a) => a.destination_id),
      col((a) => a.started_at),
      col((a) => Math.max(0, Math.round(a.duration_ms))),
      col((a) => a.status_code),
      col((a) => a.outcome),
      col((a) => pgText(a.error_class)),
      col((a) => pgText(a.error)),
      col((a) => pgJson(a.response_headers) ?? '{}'),
      col((a) => pgText(a.response_excerpt)),
    ],
  );
  if (r.rows.length === rows.length) return [...rows];
  const inserted = new Set(r.rows.map((x) => `${x.delivery_id}|${x.n}`));
  return rows.filter((a) => inserted.has(`${a.delivery_id}|${a.attempt}`));
}
