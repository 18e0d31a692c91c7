// The ledger: what was accepted, what each destination received, what the read models say — and
// whether they agree. Pure: every input is data, so the rules are tested on their own.
import type { KeyRecord } from './driver.ts';
import type { Receipt } from './receiver.ts';
import { type Profile, expectedProfiles } from './topology.ts';

export interface ReadAttempt {
  n: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error_class: string | null;
}
export interface ReadDelivery {
  id: string;
  destination_id: string;
  status: string;
  attempts: ReadAttempt[];
}
/** GET /v1/events/{id}, the fields the ledger reads. */
export interface ReadEvent {
  id: string;
  idempotency_key: string | null;
  status: string;
  deliveries: ReadDelivery[];
}

export interface LedgerInput {
  keys: Iterable<KeyRecord>;
  events: readonly ReadEvent[];
  receipts: readonly Receipt[];
  profileOf: ReadonlyMap<string, Profile>;
  maxAttempts: number;
}

export interface Ledger {
  keysSent: number;
  /** Distinct events answered 202 (not duplicate). */
  eventsAccepted: number;
  /** Stored events whose 202 never reached the driver (the api died after the write); kept in the ledger. */
  acceptedResponseLost: number;
  /** Keys never answered 202 and not stored either. */
  neverAccepted: number;
  duplicateAnswers: number;
  /** Time from the first try of a key to its first 202 (retries included), and how many keys needed a retry. */
  ingestMs: { p50: number; p99: number; max: number; retried: number };
  /** (event, destination) pairs the events had to reach. */
  pairs: number;
  delivered: number;
  deadLettered: number;
  /** No 2xx at the destination and not dead-lettered there. Must be 0. */
  lost: number;
  /** Received with 2xx but the read model never ended the delivery. */
  stuck: number;
  /** The read model says delivered; the receiver never answered 2xx. */
  phantom: number;
  /** Dead-lettered although the receiver answered 2xx: explained when the last attempt was cut off (crash, timeout race). */
  deadAfter2xx: { explained: number; unexplained: number };
  /** More than one delivery id for one (event, destination), or not the read model's. */
  chainBreaks: number;
  /** The read model's destinations for an event differ from the routes that match its type. */
  wrongFanout: number;
  /** One idempotency key, two events. */
  doubleAccepted: number;
  /** 202 ids absent from the read models. */
  missingFromReadModel: number;
  /** A recorded attempt with a status code the receiver did not send for that attempt. */
  attemptMismatches: number;
  /** Requests with an attempt number above max_attempts. */
  overAttempts: number;
  /** Events in the read model with a key the driver never sent. */
  unknownEvents: number;
  /** 2xx answers beyond the first, per (event, destination). */
  duplicates: number;
  duplicateRatio: number;
  /** From the 202 to the delivery (first 2xx) or the dead letter, per (event, destination), ms. */
  settleMs: { p50: number; p99: number; max: number };
  /** The slowest (event, destination) pairs with their attempts, to see where time went. */
  slowest: string[];
  problems: string[];
  ok: boolean;
}

const MAX_PROBLEMS = 40;

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

const is2xx = (s: number | null) => s !== null && s >= 200 && s < 300;

export function computeLedger(input: LedgerInput): Ledger {
  const problems: string[] = [];
  const problem = (s: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(s);
  };
  const keys = new Map<string, KeyRecord>();
  for (const k of input.keys) keys.set(k.key, k);

  const acceptedIds = new Set<string>();
  let duplicateAnswers = 0;
  let doubleAccepted = 0;
  for (const k of keys.values()) {
    duplicateAnswers += k.duplicateAnswers;
    for (const id of k.ids) acceptedIds.add(id);
    if (new Set(k.ids).size > 1) {
      doubleAccepted++;
      problem(`key ${k.key} accepted as ${k.ids.length} events: ${k.ids.join(', ')}`);
    }
  }

  const eventsByKey = new Map<string, ReadEvent[]>();
  const readIds = new Set<string>();
  let unknownEvents = 0;
  for (const e of input.events) {
    readIds.add(e.id);
    if (e.idempotency_key === null || !keys.has(e.idempotency_key)) {
      unknownEvents++;
      problem(`event ${e.id} has a key the driver never sent: ${String(e.idempotency_key)}`);
      continue;
    }
    const list = eventsByKey.get(e.idempotency_key) ?? [];
    list.push(e);
    eventsByKey.set(e.idempotency_key, list);
  }
  for (const [key, list] of eventsByKey) {
    if (list.length > 1) {
      doubleAccepted++;
      problem(`key ${key} stored as ${list.length} events: ${list.map((e) => e.id).join(', ')}`);
    }
  }

  const receiptsByPair = new Map<string, Receipt[]>();
  for (const r of input.receipts) {
    const pair = `${r.e}|${r.p}`;
    const list = receiptsByPair.get(pair) ?? [];
    list.push(r);
    receiptsByPair.set(pair, list);
  }
  const overAttempts = input.receipts.filter((r) => r.a > input.maxAttempts).length;
  if (overAttempts > 0) problem(`${overAttempts} requests carried an attempt number above ${input.maxAttempts}`);

  const l = {
    pairs: 0,
    delivered: 0,
    deadLettered: 0,
    lost: 0,
    stuck: 0,
    phantom: 0,
    chainBreaks: 0,
    wrongFanout: 0,
    attemptMismatches: 0,
    duplicates: 0,
    explained: 0,
    unexplained: 0,
  };
  const settle: number[] = [];
  const timed: Array<{ ms: number; what: string }> = [];
  const attemptsOf = (dv: ReadDelivery | undefined, since: number) =>
    (dv?.attempts ?? [])
      .slice()
      .sort((a, b) => a.n - b.n)
      .map(
        (a) => `#${a.n} +${((Date.parse(a.started_at) - since) / 1000).toFixed(1)}s ${a.status_code ?? a.error_class}`,
      )
      .join(' ');

  const checkPair = (eventId: string, p: Profile, since: number, dv: ReadDelivery | undefined) => {
    l.pairs++;
    const rs = receiptsByPair.get(`${eventId}|${p}`) ?? [];
    const ok = rs.filter((r) => is2xx(r.s));
    const chain = new Set(rs.map((r) => r.d));
    if (chain.size > 1 || (dv && chain.size === 1 && !chain.has(dv.id))) {
      l.chainBreaks++;
      problem(`event ${eventId} → ${p}: delivery ids ${[...chain].join(', ')} (read model: ${dv?.id ?? 'none'})`);
    }
    if (ok.length > 1) l.duplicates += ok.length - 1;
    for (const a of dv?.attempts ?? []) {
      if (a.status_code !== null && !rs.some((r) => r.a === a.n && r.s === a.status_code)) {
        l.attemptMismatches++;
        problem(
          `event ${eventId} → ${p}: attempt ${a.n} recorded ${a.status_code}, the receiver sent ${
            rs
              .filter((r) => r.a === a.n)
              .map((r) => r.s)
              .join('/') || 'nothing'
          }`,
        );
      }
    }
    const status = dv?.status ?? 'missing';
    if (status === 'delivered') {
      if (ok.length === 0) {
        l.phantom++;
        problem(`event ${eventId} → ${p}: delivered in the read model, never answered 2xx`);
        return;
      }
      l.delivered++;
      const ms = Math.min(...ok.map((r) => r.end)) - since;
      settle.push(ms);
      timed.push({
        ms,
        what: `${eventId} → ${p} delivered after ${(ms / 1000).toFixed(1)} s: ${attemptsOf(dv, since)}`,
      });
    } else if (status === 'dead_letter') {
      l.deadLettered++;
      const last = dv?.attempts.reduce<ReadAttempt | null>((m, a) => (m === null || a.n > m.n ? a : m), null) ?? null;
      if (last) {
        const ms = Date.parse(last.started_at) + last.duration_ms - since;
        settle.push(ms);
        timed.push({
          ms,
          what: `${eventId} → ${p} dead-lettered after ${(ms / 1000).toFixed(1)} s: ${attemptsOf(dv, since)}`,
        });
      }
      if (ok.length > 0) {
        // The receiver answered, but the deliverer died before recording that attempt (not recorded,
        // or recorded as interrupted) or gave up on it at its deadline (timeout): at-least-once
        // cannot tell these from a lost answer. A recorded 2xx followed by a dead letter is a bug.
        const cut = ok.every((r) => {
          const a = dv?.attempts.find((x) => x.n === r.a);
          return !a || a.error_class === 'interrupted' || a.error_class === 'timeout';
        });
        if (cut) l.explained++;
        else {
          l.unexplained++;
          problem(
            `event ${eventId} → ${p}: dead-lettered (last attempt ${last?.n}: ${last?.status_code ?? last?.error_class}) although answered 2xx at attempt ${ok.map((r) => r.a).join(',')}`,
          );
        }
      }
    } else if (ok.length > 0) {
      l.stuck++;
      problem(`event ${eventId} → ${p}: answered 2xx but the read model says ${status}`);
    } else {
      l.lost++;
      problem(`event ${eventId} → ${p}: LOST — read model ${status}, ${rs.length} requests, none answered 2xx`);
    }
  };

  let acceptedResponseLost = 0;
  let neverAccepted = 0;
  for (const k of keys.values()) {
    const stored = eventsByKey.get(k.key) ?? [];
    if (stored.length === 0 && k.ids.length === 0) {
      neverAccepted++;
      if (k.acceptedAt !== null) problem(`key ${k.key} was answered 202 (duplicate) but no event holds it`);
      continue;
    }
    const since = k.acceptedAt ?? k.firstTryAt;
    for (const e of stored) {
      if (!acceptedIds.has(e.id)) acceptedResponseLost++;
      const expected = expectedProfiles(k.type);
      const got = e.deliveries.map((d) => input.profileOf.get(d.destination_id) ?? `?${d.destination_id}`);
      if (got.length !== expected.length || !expected.every((p) => got.includes(p))) {
        l.wrongFanout++;
        problem(
          `event ${e.id} (${String(k.type)}): deliveries to ${got.sort().join(',') || 'nothing'}, routes say ${[...expected].sort().join(',')}`,
        );
      }
      for (const p of expected) {
        checkPair(
          e.id,
          p,
          since,
          e.deliveries.find((d) => input.profileOf.get(d.destination_id) === p),
        );
      }
    }
    for (const id of k.ids) {
      if (readIds.has(id)) continue;
      // Accepted but absent from the read models: judge it by the receiver's log alone.
      for (const p of expectedProfiles(k.type)) checkPair(id, p, since, undefined);
    }
  }
  const missingFromReadModel = [...acceptedIds].filter((id) => !readIds.has(id)).length;
  if (missingFromReadModel > 0) problem(`${missingFromReadModel} accepted events are missing from the read models`);

  settle.sort((a, b) => a - b);
  const ingest = [...keys.values()]
    .filter((k) => k.acceptedAt !== null)
    .map((k) => (k.acceptedAt as number) - k.firstTryAt)
    .sort((a, b) => a - b);
  const result: Omit<Ledger, 'ok'> = {
    keysSent: keys.size,
    eventsAccepted: acceptedIds.size,
    acceptedResponseLost,
    neverAccepted,
    duplicateAnswers,
    ingestMs: {
      p50: percentile(ingest, 0.5),
      p99: percentile(ingest, 0.99),
      max: ingest[ingest.length - 1] ?? 0,
      retried: [...keys.values()].filter((k) => k.retries > 0).length,
    },
    pairs: l.pairs,
    delivered: l.delivered,
    deadLettered: l.deadLettered,
    lost: l.lost,
    stuck: l.stuck,
    phantom: l.phantom,
    deadAfter2xx: { explained: l.explained, unexplained: l.unexplained },
    chainBreaks: l.chainBreaks,
    wrongFanout: l.wrongFanout,
    doubleAccepted,
    missingFromReadModel,
    attemptMismatches: l.attemptMismatches,
    overAttempts,
    unknownEvents,
    duplicates: l.duplicates,
    duplicateRatio: l.delivered === 0 ? 0 : l.duplicates / l.delivered,
    settleMs: { p50: percentile(settle, 0.5), p99: percentile(settle, 0.99), max: settle[settle.length - 1] ?? 0 },
    slowest: timed
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((x) => x.what),
    problems,
  };
  const ok =
    result.lost === 0 &&
    result.stuck === 0 &&
    result.phantom === 0 &&
    result.deadAfter2xx.unexplained === 0 &&
    result.chainBreaks === 0 &&
    result.wrongFanout === 0 &&
    result.doubleAccepted === 0 &&
    result.missingFromReadModel === 0 &&
    result.attemptMismatches === 0 &&
    result.overAttempts === 0 &&
    result.unknownEvents === 0 &&
    result.eventsAccepted > 0;
  return { ...result, ok };
}
