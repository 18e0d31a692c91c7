// The projection's locks. Transactions that change events take one advisory lock per event, in one
// global order, after every slot of the writers' lock shared; a rebuild's batches take one slot of
// the writers' lock exclusively instead (thousands of event locks would fill Postgres' lock table).
import { isTimeOrderedId } from '@hookstream/domain';
import type { PoolClient } from './pool.ts';

// Namespace of the per-event advisory locks (the migration lock uses the one-key form).
const EVENT_LOCK_NS = 0x4853;
// Keys of the writers' lock, one per slot: transactions that change events hold every slot shared
// (lockEvents), a rebuild's batches exclusively: the slot of their events (writerSlot).
const WRITERS_LOCK_NS = 0x4857;
/** Slots of the writers' lock: as many of a rebuild's writers run side by side. */
export const WRITER_SLOTS = 2;

/**
 * The writers' lock slot of an event: a rebuild's writers each take the events of one slot, so
 * that the facts and the row of an event are always written under the same slot.
 */
export function writerSlot(eventId: string): number {
  return ((eventLockKey(eventId) % WRITER_SLOTS) + WRITER_SLOTS) % WRITER_SLOTS;
}

export function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= WRITER_SLOTS)
    throw new RangeError(`writer slot ${slot} is not in 0..${WRITER_SLOTS - 1}`);
}

const ALL_SLOTS = `SELECT s FROM generate_series(0, ${WRITER_SLOTS - 1}) AS s`;

/** The writers' lock of an exclusive batch: its slot, or every slot in order. */
export async function lockWriters(c: PoolClient, slot: number | undefined): Promise<void> {
  await c.query(lockWritersSql(slot));
}

export function lockWritersSql(slot: number | undefined): string {
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
export function lockEventsSql(eventIds: readonly string[]): string {
  const keys = [...new Set(eventIds.map(eventLockKey))].sort((a, b) => a - b);
  return `SELECT pg_advisory_xact_lock_shared(${WRITERS_LOCK_NS}, s) FROM (${ALL_SLOTS}) AS slots
     UNION ALL SELECT pg_advisory_xact_lock(${EVENT_LOCK_NS}, k) FROM unnest('{${keys.join(',')}}'::int4[]) AS k`;
}
