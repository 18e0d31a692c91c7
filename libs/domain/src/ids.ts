import { hash, randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

// Random bytes of new ids, drawn for 256 ids at a time. Left to itself, uuid asks the system's
// generator for 16 bytes per id, many times the cost of a slice of the pool, on the api's path
// of every request.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;
// As uuid keeps it: the millisecond of the last id and a counter within it, so that ids made in
// one process are strictly increasing (RFC 9562, 6.2 method 1: a 31-bit counter seeded at random).
const last = { msecs: -Infinity, seq: 0 };

/**
 * A new UUIDv7: 48 bits of time, then a counter and random bits. Ids in time order make the read
 * models' indexes on them grow at their end, as a log does, instead of taking each new id at a
 * random page.
 */
export function timeOrderedId(nowMs: number = Date.now()): string {
  if (poolAt + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const random = pool.subarray(poolAt, (poolAt += 16));
  if (nowMs > last.msecs) {
    last.msecs = nowMs;
    last.seq =
      (((random[6] as number) & 0x7f) << 24) |
      ((random[7] as number) << 16) |
      ((random[8] as number) << 8) |
      (random[9] as number);
  } else {
    // The same millisecond, or a clock that went back: count on from the last id.
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs++;
  }
  return v7({ random, msecs: last.msecs, seq: last.seq });
}

/**
 * A UUID-formatted id derived from sha256 of `parts`: the same inputs give the same id on every
 * process, which is what keeps a delivery id stable across retries and crash redeliveries.
 * Version nibble 5 and RFC 4122 variant bits are set so that UUID validators accept it. Each part
 * is length-prefixed, so ('a.b', 'c') and ('a', 'b.c') cannot collide.
 */
export function stableUuid(namespace: string, parts: readonly string[]): string {
  // One-shot hash of the concatenation: the same digest as update() per part, for less CPU.
  let text = `${namespace.length}:${namespace};`;
  for (const p of parts) text += `${p.length}:${p};`;
  const b = hash('sha256', text, 'buffer').subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * True for a UUIDv7, an id in time order (what the api gives events): its first 48 bits are its
 * time in milliseconds, its version digit (the 15th character of its text) is 7.
 */
export function isTimeOrderedId(id: string): boolean {
  return id.length === 36 && id[14] === '7';
}

/**
 * The id of the delivery of `eventId` along one route (or to one destination). A replay passes
 * its replay id and so gets a new delivery id; an empty replay id counts as none.
 *
 * The delivery of an event in time order (a UUIDv7) is in time order too: it starts with the
 * event's 48 bits of time (a UUIDv8, the rest from the hash), so that the indexes on delivery ids
 * grow at their end like those on event ids. Other events keep the ids they always had.
 */
export function deliveryIdFor(eventId: string, routeOrDestinationId: string, replayId?: string): string {
  const parts = [eventId, routeOrDestinationId];
  if (replayId !== undefined && replayId !== '') parts.push(replayId);
  const id = stableUuid('hookstream.delivery.v1', parts);
  // xxxxxxxx-xxxx-7…: the event's time is its first 12 hex digits; '8' is the custom version.
  return isTimeOrderedId(eventId) ? `${eventId.slice(0, 13)}-8${id.slice(15)}` : id;
}
