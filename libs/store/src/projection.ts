// Writes one batch of stream messages into the read models in ONE transaction, together with the
// checkpoints of the streams they came from. A batch may mix the three streams: an event, its routing
// and its first attempt projected together are written once each, where one transaction per stream
// would insert the event and then update it per fact. Multi-row writes through unnest(); every
// ON CONFLICT applies the same commutative rule as merge.ts, so replays and reordering change nothing
// (docs/adr/0002-projections.md).
import type { AttemptFact, DeadLetter, RoutedFact } from '@hookstream/contracts';
import { isTimeOrderedId } from '@hookstream/domain';
import {
  type DeliveryPatch,
  type DeliveryRow,
  type EventInput,
  type StoredDelivery,
  TERMINAL_RANK,
  eventStatus,
  foldAttemptRows,
  foldAttempts,
  foldDeadLetters,
  foldEvents,
  foldRouted,
  pgJson,
  pgText,
  routedWithAttempts,
} from './merge.ts';
import { type ArrayElement, pgArray } from './arrays.ts';
import { type Pool, type PoolClient, withTransaction } from './pool.ts';
import { addAttemptRollups, addEventRollups, writeDeadLetters } from './rollups.ts';

export interface ProjectionBatch {
  /**
   * Per stream of the batch, its highest sequence here, including messages skipped as unreadable:
   * the stream's checkpoint moves there (never backwards).
   */
  checkpoints: Readonly<Record<string, number>>;
  events?: readonly EventInput[];
  routed?: readonly RoutedFact[];
  attempts?: readonly AttemptFact[];
  deadLetters?: readonly DeadLetter[];
}

export interface BatchResult {
  events: number;
  deliveries: number;
  attempts: number;
  statusChanges: number;
}

// Namespace of the per-event advisory locks (the migration lock uses the one-key form).
const EVENT_LOCK_NS = 0x4853;
// Keys of the writers' lock, one per slot: transactions that change events hold every slot shared
// (lockEvents), a rebuild's batches exclusively: the slot of their events (writerSlot).
const WRITERS_LOCK_NS = 0x4857;
/** Slots of the writers' lock: as many of a rebuild's writers run side by side. */
export const WRITER_SLOTS = 2;

export interface ApplyOptions {
  /**
   * Serialize against every other projection transaction with one lock instead of one per event
   * (a rebuild: its batches are large, and thousands of event locks would fill Postgres' lock table).
   */
  exclusive?: boolean;
  /**
   * With `exclusive`, hold only this slot of the writers' lock (0 to WRITER_SLOTS - 1): batches on
   * other slots run at the same time. Only for batches whose every event, and the event of every
   * fact, has this slot (`writerSlot`): batches on different slots then share no event, and so no
   * row but the checkpoints, which only ever move up.
   */
  slot?: number;
}

/**
 * The writers' lock slot of an event: a rebuild's writers each take the events of one slot, so
 * that the facts and the row of an event are always written under the same slot.
 */
export function writerSlot(eventId: string): number {
  return ((eventLockKey(eventId) % WRITER_SLOTS) + WRITER_SLOTS) % WRITER_SLOTS;
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= WRITER_SLOTS) throw new RangeError(`writer slot ${slot} is not in 0..${WRITER_SLOTS - 1}`);
}

const ALL_SLOTS = `SELECT s FROM generate_series(0, ${WRITER_SLOTS - 1}) AS s`;

/** The writers' lock of an exclusive batch: its slot, or every slot in order. */
export async function lockWriters(c: PoolClient, slot: number | undefined): Promise<void> {
  await c.query(lockWritersSql(slot));
}

function lockWritersSql(slot: number | undefined): string {
  if (slot === undefined) return `SELECT pg_advisory_xact_lock(${WRITERS_LOCK_NS}, s) FROM (${ALL_SLOTS}) AS slots`;
  checkSlot(slot);
  return `SELECT pg_advisory_xact_lock(${WRITERS_LOCK_NS}, ${slot})`;
}

/**
 * The advisory lock key of an event: 32 random bits of its id, as a signed int4. An id in time
 * order (UUIDv7, as the api gives events) starts with its time, the same for every event of a
 * minute, so its key comes from its random tail; any other id (events stored before, ids derived
 * from a client's own) keeps the key of its first 32 bits.
 */
export function eventLockKey(eventId: string): number {
  const random = isTimeOrderedId(eventId) ? eventId.slice(-8) : eventId.slice(0, 8);
  return Number.parseInt(random, 16) | 0;
}


/**
 * Takes the locks of a transaction that changes events (the projection, retention): an event's
 * status is read-modify-write over its deliveries, written by three consumers (and any number of
 * projector copies) at once. Locking every touched event, in one global order, serializes exactly
 * the transactions that share an event, without deadlocks. Every slot of the writers' lock, shared
 * and in order, comes first (UNION ALL runs its branches in order): an exclusive writer waits for
 * these transactions and they for it, and it never holds what they wait for.
 */
export async function lockEvents(c: PoolClient, eventIds: readonly string[]): Promise<void> {
  await c.query(lockEventsSql(eventIds));
}

// Keys are int4 we computed (eventLockKey): written into the statement, which then needs no
// parameters and can share the round trip of BEGIN.
function lockEventsSql(eventIds: readonly string[]): string {
  const keys = [...new Set(eventIds.map(eventLockKey))].sort((a, b) => a - b);
  return `SELECT pg_advisory_xact_lock_shared(${WRITERS_LOCK_NS}, s) FROM (${ALL_SLOTS}) AS slots
     UNION ALL SELECT pg_advisory_xact_lock(${EVENT_LOCK_NS}, k) FROM unnest('{${keys.join(',')}}'::int4[]) AS k`;
}

/**
 * Every read of a projection transaction looks up the keys of its batch. Without statistics for
 * `deliveries.event_id` (a new database, or read models a rebuild has just emptied, until
 * autovacuum's first ANALYZE) the planner takes `event_id = ANY(…)` for most of the table and reads
 * all of it, on every batch, for longer as the table grows: 52 ms per batch against 0.9 ms by its
 * index, measured at 131,000 deliveries, enough for the projection to fall seconds behind at
 * 2,000 events/s. Sequential scans are therefore off in these transactions.
 */
const PROJECTION_SETTINGS = 'SET LOCAL enable_seqscan = off';

export async function applyBatch(pool: Pool, batch: ProjectionBatch, opts: ApplyOptions = {}): Promise<BatchResult> {
  // Three round trips fewer per batch: the locks go with BEGIN, the checkpoints with COMMIT.
  const plan = planBatch(batch, opts);
  const begin = plan.lock ? `${PROJECTION_SETTINGS}; ${plan.lock}` : PROJECTION_SETTINGS;
  return withTransaction(pool, (c) => writeBatch(c, plan), { begin, ...(plan.checkpoints ? { end: plan.checkpoints } : {}) });
}

/** applyBatch inside a transaction of the caller's. */
export async function applyBatchIn(c: PoolClient, batch: ProjectionBatch, opts: ApplyOptions = {}): Promise<BatchResult> {
  const plan = planBatch(batch, opts);
  if (plan.lock) await c.query(plan.lock);
  const result = await writeBatch(c, plan);
  if (plan.checkpoints) await c.query(plan.checkpoints);
  return result;
}

interface BatchPlan {
  events: EventInput[];
  routedDeliveries: ReturnType<typeof foldRouted>['deliveries'];
  routings: ReturnType<typeof foldRouted>['routings'];
  attemptPatches: DeliveryPatch[];
  deadPatches: DeliveryPatch[];
  attemptRows: AttemptFact[];
  deadLetters: readonly DeadLetter[];
  factIds: string[];
  /** The locks of the batch (none when it touches no event). */
  lock: string | null;
  /** Moves the checkpoints of the batch's streams (none when it has none). */
  checkpoints: string | null;
}

function planBatch(batch: ProjectionBatch, opts: ApplyOptions): BatchPlan {
  const events = foldEvents(batch.events ?? []);
  const { deliveries: routedDeliveries, routings } = foldRouted(batch.routed ?? []);
  const attemptPatches = foldAttempts(batch.attempts ?? []);
  const deadPatches = foldDeadLetters(batch.deadLetters ?? []);
  const attemptRows = foldAttemptRows(batch.attempts ?? []);

  const touchedByFacts = new Set<string>();
  for (const r of routings) touchedByFacts.add(r.event_id);
  for (const p of attemptPatches) touchedByFacts.add(p.event_id);
  for (const p of deadPatches) touchedByFacts.add(p.event_id);
  const factIds = [...touchedByFacts];
  const ids = [...new Set([...factIds, ...events.map((e) => e.meta.event_id)])];

  if (opts.slot !== undefined) {
    checkSlot(opts.slot);
    const stray = ids.find((id) => writerSlot(id) !== opts.slot);
    if (stray !== undefined) throw new Error(`a batch on writer slot ${opts.slot} touches event ${stray} of slot ${writerSlot(stray)}`);
  }
  let lock: string | null = null;
  if (ids.length > 0) lock = opts.exclusive ? lockWritersSql(opts.slot) : lockEventsSql(ids);
  return { events, routedDeliveries, routings, attemptPatches, deadPatches, attemptRows, deadLetters: batch.deadLetters ?? [], factIds, lock, checkpoints: checkpointsSql(batch.checkpoints) };
}

/**
 * The checkpoints' upsert, its values written into the statement so that it needs no parameters and
 * shares COMMIT's round trip. In one order: writers on different slots update the same rows.
 */
function checkpointsSql(checkpoints: Readonly<Record<string, number>>): string | null {
  const streams = Object.keys(checkpoints).sort();
  if (streams.length === 0) return null;
  const values = streams.map((stream) => {
    const seq = checkpoints[stream];
    // Stream names are ours (HS_EVENTS…), sequences integers; anything else is a bug, not data.
    if (!/^[A-Za-z0-9_-]+$/.test(stream)) throw new Error(`checkpoint of an unexpected stream name ${JSON.stringify(stream)}`);
    if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new Error(`checkpoint of ${stream} is not a sequence: ${String(seq)}`);
    return `('${stream}', ${seq as number})`;
  });
  return `INSERT INTO projection_checkpoints (stream, last_seq) VALUES ${values.join(', ')}
     ON CONFLICT (stream) DO UPDATE SET last_seq = GREATEST(projection_checkpoints.last_seq, excluded.last_seq), updated_at = now()`;
}

async function writeBatch(c: PoolClient, plan: BatchPlan): Promise<BatchResult> {
  const { events, routedDeliveries, routings, attemptPatches, deadPatches, attemptRows, factIds } = plan;
  if (routings.length > 0) {
    await c.query(
      `INSERT INTO event_routings (event_id, account_id, routed_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])
       ON CONFLICT (event_id) DO UPDATE SET routed_at = excluded.routed_at
       WHERE excluded.routed_at < event_routings.routed_at AND excluded.account_id = event_routings.account_id`,
      [pgArray(routings.map((r) => r.event_id)), pgArray(routings.map((r) => r.account_id)), pgArray(routings.map((r) => r.routed_at))],
    );
  }
  // A delivery routed and attempted within the batch is inserted whole, instead of inserted by its
  // routed fact and updated by its attempts; one already stored takes the two upserts below.
  let routedOnly = routedDeliveries;
  let patches = attemptPatches;
  if (routedDeliveries.length > 0 && attemptPatches.length > 0) {
    const byId = new Map(attemptPatches.map((p) => [p.id, p]));
    const whole: DeliveryRow[] = [];
    for (const d of routedDeliveries) {
      const p = byId.get(d.id);
      if (p && p.account_id === d.account_id) whole.push(routedWithAttempts(d, p));
    }
    if (whole.length > 0) {
      const inserted = new Set(await insertNewDeliveries(c, whole));
      routedOnly = routedDeliveries.filter((d) => !inserted.has(d.id));
      patches = attemptPatches.filter((p) => !inserted.has(p.id));
    }
  }
  if (routedOnly.length > 0) {
    const d = routedOnly;
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
  // An attempt fact carries its own last_* values from attempt n on; a dead letter only when it
  // knows of a later attempt, or when nothing better is stored (e.g. a max-deliveries advisory).
  if (patches.length > 0) await upsertPatches(c, patches, 'excluded.attempts >= d.attempts');
  if (deadPatches.length > 0) {
    await upsertPatches(
      c,
      deadPatches,
      '(excluded.attempts > d.attempts OR (excluded.attempts = d.attempts AND d.last_status_code IS NULL AND d.last_error IS NULL))',
    );
  }
  if (attemptRows.length > 0) await addAttemptRollups(c, await insertAttempts(c, attemptRows));
  await writeDeadLetters(c, plan.deadLetters);
  // The facts are stored first, so a new event row is written once, with the status they give it
  // (read under the locks above), instead of inserted as 'received' and updated. Rows that already
  // existed keep theirs, which every transaction that touched them kept current; those that this
  // batch's facts touch are recomputed below.
  let statusChanges = 0;
  const fresh = new Set<string>();
  if (events.length > 0) {
    const statuses = await currentStatuses(c, events.map((e) => e.meta.event_id));
    for (const id of await insertEvents(c, events, statuses)) {
      fresh.add(id);
      const s = statuses.get(id);
      if (s && (s.status !== 'received' || s.n !== 0)) statusChanges++;
    }
    await addEventRollups(c, events, fresh);
  }
  const stale = factIds.filter((id) => !fresh.has(id));
  if (stale.length > 0) statusChanges += await refreshEventStatus(c, stale);
  return {
    events: events.length,
    deliveries: new Set([...routedDeliveries, ...attemptPatches, ...deadPatches].map((d) => d.id)).size,
    attempts: attemptRows.length,
    statusChanges,
  };
}

interface EventState {
  status: string;
  n: number;
}

/** Status and delivery count of events from what is stored of their deliveries and routing. */
async function currentStatuses(c: PoolClient, ids: readonly string[]): Promise<Map<string, EventState>> {
  // One row per (event, delivery), one with no delivery for an event without: one round trip.
  const { rows } = await c.query<DeliveryOfEvent & { routed: boolean }>(
    `SELECT i.event_id, (r.event_id IS NOT NULL) AS routed, d.id, d.destination_id, d.status, d.created_at
     FROM unnest($1::uuid[]) AS i(event_id)
     LEFT JOIN event_routings r ON r.event_id = i.event_id
     LEFT JOIN deliveries d ON d.event_id = i.event_id`,
    [pgArray(ids)],
  );
  const byEvent = groupDeliveries(rows);
  const routed = new Set(rows.filter((r) => r.routed).map((r) => r.event_id));
  const out = new Map<string, EventState>();
  for (const id of ids) {
    const list = byEvent.get(id) ?? [];
    out.set(id, { status: eventStatus(list, routed.has(id)), n: list.length });
  }
  return out;
}

/** A delivery of an event, or only the event (every delivery column null) when it has none. */
type DeliveryOfEvent = { event_id: string } & { [K in keyof StoredDelivery]: StoredDelivery[K] | null };

function groupDeliveries(rows: readonly DeliveryOfEvent[]): Map<string, StoredDelivery[]> {
  const byEvent = new Map<string, StoredDelivery[]>();
  for (const r of rows) {
    if (r.id === null) continue;
    const d = { id: r.id, destination_id: r.destination_id, status: r.status, created_at: r.created_at } as StoredDelivery;
    const list = byEvent.get(r.event_id);
    if (list) list.push(d);
    else byEvent.set(r.event_id, [d]);
  }
  return byEvent;
}

/**
 * New rows take their status from `statuses` ('received' when absent); existing rows keep theirs.
 * Returns the ids of the rows inserted (not those of rows replaced by a lower sequence).
 */
async function insertEvents(c: PoolClient, events: readonly EventInput[], statuses: ReadonlyMap<string, EventState>): Promise<string[]> {
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
async function insertNewDeliveries(c: PoolClient, rows: readonly DeliveryRow[]): Promise<string[]> {
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
async function insertAttempts(c: PoolClient, rows: readonly AttemptFact[]): Promise<AttemptFact[]> {
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

/** Recomputes status and delivery_count of the touched events that exist; returns how many changed. */
async function refreshEventStatus(c: PoolClient, ids: readonly string[]): Promise<number> {
  // One row per (event, delivery), as in currentStatuses; events not stored yet give none.
  const { rows } = await c.query<DeliveryOfEvent & { event_status: string; delivery_count: number; routed: boolean }>(
    `SELECT e.id AS event_id, e.status AS event_status, e.delivery_count, (r.event_id IS NOT NULL) AS routed,
            d.id, d.destination_id, d.status, d.created_at
     FROM events e
     LEFT JOIN event_routings r ON r.event_id = e.id
     LEFT JOIN deliveries d ON d.event_id = e.id
     WHERE e.id = ANY($1::uuid[])`,
    [pgArray(ids)],
  );
  if (rows.length === 0) return 0;
  const byEvent = groupDeliveries(rows);
  const changed: { id: string; status: string; n: number }[] = [];
  const seen = new Set<string>();
  for (const e of rows) {
    if (seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    const list = byEvent.get(e.event_id) ?? [];
    const status = eventStatus(list, e.routed);
    if (status !== e.event_status || list.length !== e.delivery_count) changed.push({ id: e.event_id, status, n: list.length });
  }
  if (changed.length === 0) return 0;
  await c.query(
    `UPDATE events e SET status = u.status, delivery_count = u.n, updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::int4[]) AS u(id, status, n) WHERE e.id = u.id`,
    [pgArray(changed.map((x) => x.id)), pgArray(changed.map((x) => x.status)), pgArray(changed.map((x) => x.n))],
  );
  return changed.length;
}

export interface Checkpoint {
  stream: string;
  last_seq: number;
  updated_at: Date;
}

export async function readCheckpoints(pool: Pool): Promise<Record<string, Checkpoint>> {
  const { rows } = await pool.query<Checkpoint>('SELECT stream, last_seq, updated_at FROM projection_checkpoints');
  return Object.fromEntries(rows.map((r) => [r.stream, r]));
}

/** Empties every read model and checkpoint, for a rebuild from the streams. */
export async function truncateReadModels(pool: Pool): Promise<void> {
  await pool.query(
    'TRUNCATE events, deliveries, attempts, event_routings, dead_letters, event_rollups, delivery_rollups, event_rollups_hourly, delivery_rollups_hourly, destination_health, projection_checkpoints',
  );
}

export async function countReadModels(pool: Pool): Promise<{ events: number; deliveries: number; attempts: number }> {
  const { rows } = await pool.query<{ events: number; deliveries: number; attempts: number }>(
    `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM deliveries) AS deliveries,
            (SELECT count(*) FROM attempts) AS attempts`,
  );
  return rows[0] ?? { events: 0, deliveries: 0, attempts: 0 };
}

export interface ReadModelSnapshot {
  events: unknown[];
  deliveries: unknown[];
  attempts: unknown[];
  event_routings: unknown[];
  dead_letters: unknown[];
  event_rollups: unknown[];
  delivery_rollups: unknown[];
  event_rollups_hourly: unknown[];
  delivery_rollups_hourly: unknown[];
  destination_health: unknown[];
}

/**
 * Every row of the read models as JSON, in key order, without updated_at (the one column that
 * records when, not what). Two snapshots are equal when a rebuild reproduced the live tables.
 */
export async function snapshotReadModels(pool: Pool): Promise<ReadModelSnapshot> {
  const q = async (table: string, order: string) =>
    (await pool.query<{ r: unknown }>(`SELECT to_jsonb(t) - 'updated_at' AS r FROM ${table} t ORDER BY ${order}`)).rows.map((x) => x.r);
  return {
    events: await q('events', 'id'),
    deliveries: await q('deliveries', 'id'),
    attempts: await q('attempts', 'delivery_id, n'),
    event_routings: await q('event_routings', 'event_id'),
    dead_letters: await q('dead_letters', 'delivery_id'),
    event_rollups: await q('event_rollups', 'account_id, minute, direction'),
    delivery_rollups: await q('delivery_rollups', 'account_id, minute, destination_id, outcome, class'),
    event_rollups_hourly: await q('event_rollups_hourly', 'account_id, hour, direction'),
    delivery_rollups_hourly: await q('delivery_rollups_hourly', 'account_id, hour, destination_id, outcome, class'),
    destination_health: await q('destination_health', 'destination_id'),
  };
}
