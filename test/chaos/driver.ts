// The traffic driver: N webhooks over S seconds at a steady rate, each with an idempotency key and
// an event type that fans it out to one to three destinations. Like a real provider it retries a
// request that failed (network error, 5xx) with the same key; and now and then it sends an
// earlier key again on purpose, which must be answered as a duplicate.
import type { ApiClient } from './api.ts';
import type { Rng } from './prng.ts';
import { sleep } from './services.ts';
import { EVENT_TYPES } from './topology.ts';

export interface KeyRecord {
  key: string;
  seq: number;
  type: string | null;
  firstTryAt: number;
  /** When the first 202 (either kind) arrived. */
  acceptedAt: number | null;
  /** Ids from non-duplicate 202s: more than one means a key was accepted twice. */
  ids: string[];
  /** 202 duplicate answers, to retries and to deliberate re-sends. */
  duplicateAnswers: number;
  tries: number;
  /** Tries that failed (network error, 5xx) and were made again. */
  retries: number;
  /** Given up after retrying for `ingestRetryMs`: never answered 202. */
  gaveUp: boolean;
  /** 4xx answers (none expected). */
  rejected: number;
  lastError: string | null;
}

export interface TrafficOptions {
  events: number;
  seconds: number;
  /** Share of sends that repeat an earlier key on purpose. */
  resendRatio: number;
  ingestRetryMs: number;
  maxOutstanding: number;
}

export interface Traffic {
  keys: Map<string, KeyRecord>;
  resends: number;
}

async function send(anon: ApiClient, token: string, rec: KeyRecord, retryMs: number): Promise<void> {
  const deadline = Date.now() + retryMs;
  const body = JSON.stringify({ seq: rec.seq, key: rec.key, type: rec.type });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-webhook-id': rec.key };
  if (rec.type !== null) headers['x-event-type'] = rec.type;
  let wait = 100;
  for (;;) {
    rec.tries++;
    try {
      const r = await anon.once('POST', `/ingest/${token}`, body, headers);
      if (r.status === 202) {
        rec.acceptedAt ??= Date.now();
        if (r.json?.data?.note === 'duplicate') rec.duplicateAnswers++;
        else rec.ids.push(r.json.data.id as string);
        return;
      }
      rec.lastError = `${r.status} ${JSON.stringify(r.json)}`;
      if (r.status < 500) {
        rec.rejected++;
        return;
      }
    } catch (err) {
      rec.lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      rec.gaveUp = rec.acceptedAt === null;
      return;
    }
    rec.retries++;
    await sleep(wait);
    wait = Math.min(wait * 2, 2_000);
  }
}

export async function driveTraffic(anon: ApiClient, token: string, rng: Rng, o: TrafficOptions): Promise<Traffic> {
  const keys = new Map<string, KeyRecord>();
  const order: KeyRecord[] = [];
  const outstanding = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    outstanding.add(p);
    void p.finally(() => outstanding.delete(p));
  };
  const types = EVENT_TYPES.map((e) => [e.type, e.weight] as const);
  const gapMs = (o.seconds * 1000) / o.events;
  const t0 = Date.now();
  let resends = 0;
  for (let i = 0; i < o.events; i++) {
    const due = t0 + i * gapMs;
    if (due > Date.now()) await sleep(due - Date.now());
    while (outstanding.size >= o.maxOutstanding) await Promise.race(outstanding);
    const rec: KeyRecord = {
      key: `chaos-${i}-${rng.int(0, 1e9).toString(36)}`,
      seq: i,
      type: rng.weighted(types),
      firstTryAt: Date.now(),
      acceptedAt: null,
      ids: [],
      duplicateAnswers: 0,
      tries: 0,
      retries: 0,
      gaveUp: false,
      rejected: 0,
      lastError: null,
    };
    keys.set(rec.key, rec);
    order.push(rec);
    track(send(anon, token, rec, o.ingestRetryMs));
    if (order.length > 10 && rng.next() < o.resendRatio) {
      resends++;
      track(send(anon, token, rng.pick(order.slice(0, -1)), o.ingestRetryMs));
    }
  }
  await Promise.all(outstanding);
  return { keys, resends };
}
