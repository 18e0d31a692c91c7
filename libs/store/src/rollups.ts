// The console's read models, written inside the projection's transactions (projection.ts): events
// received and delivery attempts per minute, dead letters with their reason, and each destination's
// latest failure and success. Counts are added only for rows the same transaction newly inserted
// (an attempt, an event) or for the dead letter that now stands, so that a batch projected twice,
// or in another order by a rebuild, adds up to the same totals.
import type { AttemptFact, DeadLetter } from '@hookstream/contracts';
import type { EventInput } from './merge.ts';
import { pgText } from './merge.ts';
import { type ArrayElement, pgArray } from './arrays.ts';
import type { PoolClient } from './pool.ts';

/**
 * Duration histogram: bucket 0 holds [0, 1] ms, bucket i (1 ≤ i < last) holds (2^((i-1)/4), 2^(i/4)]
 * ms — four buckets per doubling, so that a percentile read from it is within 19% of the true value —
 * and the last bucket everything above 2^17 ms (131 s, beyond any delivery timeout).
 */
export const HIST_BUCKETS = 70;

export function histBucket(durationMs: number): number {
  if (!(durationMs > 1)) return 0;
  return Math.min(HIST_BUCKETS - 1, Math.ceil(4 * Math.log2(durationMs)));
}

/** The q-quantile (0 < q ≤ 1) of a histogram, interpolated geometrically within its bucket; null when empty. */
export function histQuantile(hist: readonly number[], q: number): number | null {
  let total = 0;
  for (const n of hist) total += n;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    const n = hist[i] ?? 0;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const f = (rank - seen) / n;
      if (i === 0) return round1(f);
      const lo = 2 ** ((i - 1) / 4);
      const value = i >= HIST_BUCKETS - 1 ? lo : lo * 2 ** (f / 4);
      return round1(value);
    }
    seen += n;
  }
  return null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** 2xx … 5xx by status code; 'network' when there was no answer (timeout, refused, guard). */
export function statusClass(code: number | null): string {
  if (code === null || code < 100 || code > 599) return 'network';
  return `${Math.floor(code / 100)}xx`;
}

const floorTo = (iso: string, stepMs: number): string => {
  const ms = Date.parse(iso);
  return new Date(ms - (((ms % stepMs) + stepMs) % stepMs)).toISOString();
};
const minuteOf = (iso: string): string => floorTo(iso, 60_000);
const hourOf = (iso: string): string => floorTo(iso, 3_600_000);

/** Each rollup table is kept by minute and by hour (migrations 0003, 0005). */
const GRAINS = [
  { events: 'event_rollups', deliveries: 'delivery_rollups', column: 'minute', of: (minute: string) => minute },
  { events: 'event_rollups_hourly', deliveries: 'delivery_rollups_hourly', column: 'hour', of: hourOf },
] as const;

interface Delta {
  account_id: string;
  minute: string;
  destination_id: string;
  outcome: string;
  class: string;
  n: number;
  duration_ms_sum: number;
  hist: number[];
}

const zeros = () => new Array<number>(HIST_BUCKETS).fill(0);

class Deltas {
  readonly rows = new Map<string, Delta>();
  /** The same deltas with each minute replaced by `of(minute)` (its hour), merged. */
  regroup(of: (minute: string) => string): Deltas {
    const out = new Deltas();
    for (const d of this.rows.values()) {
      const k = {
        account_id: d.account_id,
        minute: of(d.minute),
        destination_id: d.destination_id,
        outcome: d.outcome,
        class: d.class,
      };
      const key = `${k.account_id}|${k.minute}|${k.destination_id}|${k.outcome}|${k.class}`;
      const cur = out.rows.get(key);
      if (!cur) {
        out.rows.set(key, { ...k, n: d.n, duration_ms_sum: d.duration_ms_sum, hist: [...d.hist] });
        continue;
      }
      cur.n += d.n;
      cur.duration_ms_sum += d.duration_ms_sum;
      d.hist.forEach((x, i) => ((cur.hist[i] as number) += x));
    }
    return out;
  }
  add(k: Omit<Delta, 'n' | 'duration_ms_sum' | 'hist'>, n: number, durationMs: number | null): void {
    const key = `${k.account_id}|${k.minute}|${k.destination_id}|${k.outcome}|${k.class}`;
    let d = this.rows.get(key);
    if (!d) {
      d = { ...k, n: 0, duration_ms_sum: 0, hist: zeros() };
      this.rows.set(key, d);
    }
    d.n += n;
    if (durationMs !== null) {
      d.duration_ms_sum += n * durationMs;
      (d.hist[histBucket(durationMs)] as number) += n;
    }
  }
}

/** Counts the events whose rows this transaction inserted. */
export async function addEventRollups(
  c: PoolClient,
  events: readonly EventInput[],
  inserted: ReadonlySet<string>,
): Promise<void> {
  const by = new Map<string, { account_id: string; minute: string; direction: string; n: number }>();
  for (const e of events) {
    if (!inserted.has(e.meta.event_id)) continue;
    const minute = minuteOf(e.meta.received_at);
    const key = `${e.meta.account_id}|${minute}|${e.meta.direction}`;
    const cur = by.get(key);
    if (cur) cur.n++;
    else by.set(key, { account_id: e.meta.account_id, minute, direction: e.meta.direction, n: 1 });
  }
  if (by.size === 0) return;
  const params: string[] = [];
  const statements = GRAINS.map((g) => {
    const grouped = new Map<string, { account_id: string; minute: string; direction: string; n: number }>();
    for (const r of by.values()) {
      const at = g.of(r.minute);
      const key = `${r.account_id}|${at}|${r.direction}`;
      const cur = grouped.get(key);
      if (cur) cur.n += r.n;
      else grouped.set(key, { ...r, minute: at });
    }
    // In key order: concurrent transactions lock the rows they share in the same order.
    const rows = [...grouped.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    const p = params.length;
    params.push(
      pgArray(rows.map((r) => r.account_id)),
      pgArray(rows.map((r) => r.minute)),
      pgArray(rows.map((r) => r.direction)),
      pgArray(rows.map((r) => r.n)),
    );
    return `INSERT INTO ${g.events} AS r (account_id, ${g.column}, direction, received)
       SELECT * FROM unnest($${p + 1}::uuid[], $${p + 2}::timestamptz[], $${p + 3}::text[], $${p + 4}::int4[])
       ON CONFLICT (account_id, ${g.column}, direction) DO UPDATE SET received = r.received + excluded.received`;
  });
  await c.query(together(statements), params);
}

/** Statements in one round trip: all but the last as data-modifying WITH clauses, run in order. */
function together(statements: readonly string[]): string {
  const last = statements[statements.length - 1] as string;
  const before = statements.slice(0, -1).map((st, i) => `w${i} AS (${st})`);
  return before.length > 0 ? `WITH ${before.join(', ')} ${last}` : last;
}

/** Counts the attempts whose rows this transaction inserted, and moves each destination's health. */
export async function addAttemptRollups(c: PoolClient, attempts: readonly AttemptFact[]): Promise<void> {
  if (attempts.length === 0) return;
  const deltas = new Deltas();
  for (const a of attempts) {
    deltas.add(
      {
        account_id: a.account_id,
        minute: minuteOf(a.started_at),
        destination_id: a.destination_id,
        outcome: a.outcome,
        class: statusClass(a.status_code),
      },
      1,
      Math.max(0, Math.round(a.duration_ms)),
    );
  }
  await writeDeltas(c, deltas);
  await updateHealth(c, attempts);
}

async function writeDeltas(c: PoolClient, byMinute: Deltas): Promise<void> {
  if (byMinute.rows.size === 0) return;
  const params: string[] = [];
  const accounts = new Set<string>();
  let zeroed = false;
  const statements = GRAINS.map((g) => {
    const deltas = g.column === 'minute' ? byMinute : byMinute.regroup(g.of);
    const rows = [...deltas.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    for (const d of rows) {
      accounts.add(d.account_id);
      if (d.n <= 0) zeroed = true;
    }
    const col = (f: (d: Delta) => ArrayElement) => pgArray(rows.map(f));
    const p = params.length;
    params.push(
      col((d) => d.account_id),
      col((d) => d.minute),
      col((d) => d.destination_id),
      col((d) => d.outcome),
      col((d) => d.class),
      col((d) => d.n),
      col((d) => d.duration_ms_sum),
      // Every row's histogram, one after the other, in one flat array: cut by offset below.
      pgArray(rows.flatMap((d) => d.hist)),
    );
    const $ = (k: number) => `$${p + k}`;
    return `INSERT INTO ${g.deliveries} AS r (account_id, ${g.column}, destination_id, outcome, class, n, duration_ms_sum, hist)
       SELECT account_id, at, destination_id, outcome, class, n, duration_ms_sum,
              (${$(8)}::int4[])[(i - 1) * ${HIST_BUCKETS} + 1 : i * ${HIST_BUCKETS}]
       FROM unnest(${$(1)}::uuid[], ${$(2)}::timestamptz[], ${$(3)}::uuid[], ${$(4)}::text[], ${$(5)}::text[], ${$(6)}::int4[], ${$(7)}::int8[])
         WITH ORDINALITY AS t(account_id, at, destination_id, outcome, class, n, duration_ms_sum, i)
       ON CONFLICT (account_id, ${g.column}, destination_id, outcome, class) DO UPDATE SET
         n = r.n + excluded.n,
         duration_ms_sum = r.duration_ms_sum + excluded.duration_ms_sum,
         hist = ARRAY(SELECT a + b FROM unnest(r.hist, excluded.hist) AS u(a, b))`;
  });
  await c.query(together(statements), params);
  // A dead letter superseded by a better one leaves its old minute at zero: no row, as a rebuild.
  if (zeroed) {
    for (const g of GRAINS)
      await c.query(`DELETE FROM ${g.deliveries} WHERE n = 0 AND account_id = ANY($1::uuid[])`, [
        pgArray([...accounts]),
      ]);
  }
}

const healthKey = (a: AttemptFact) =>
  `${new Date(a.started_at).toISOString()}|${a.delivery_id}|${String(a.attempt).padStart(6, '0')}`;

async function updateHealth(c: PoolClient, attempts: readonly AttemptFact[]): Promise<void> {
  const by = new Map<
    string,
    { account_id: string; failure: AttemptFact | null; failureKey: string; successAt: string | null }
  >();
  for (const a of attempts) {
    let h = by.get(a.destination_id);
    if (!h) {
      h = { account_id: a.account_id, failure: null, failureKey: '', successAt: null };
      by.set(a.destination_id, h);
    }
    if (a.outcome === 'delivered') {
      const at = new Date(a.started_at).toISOString();
      if (h.successAt === null || at > h.successAt) h.successAt = at;
    } else {
      const k = healthKey(a);
      if (k > h.failureKey) {
        h.failure = a;
        h.failureKey = k;
      }
    }
  }
  const rows = [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const col = (f: (r: (typeof rows)[number]) => ArrayElement) => pgArray(rows.map(f));
  await c.query(
    `INSERT INTO destination_health AS h (destination_id, account_id, last_error_at, last_error, last_status_code, last_error_key, last_success_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::int4[], $6::text[], $7::timestamptz[])
     ON CONFLICT (destination_id) DO UPDATE SET
       last_error_at = CASE WHEN excluded.last_error_key > coalesce(h.last_error_key, '') THEN excluded.last_error_at ELSE h.last_error_at END,
       last_error = CASE WHEN excluded.last_error_key > coalesce(h.last_error_key, '') THEN excluded.last_error ELSE h.last_error END,
       last_status_code = CASE WHEN excluded.last_error_key > coalesce(h.last_error_key, '') THEN excluded.last_status_code ELSE h.last_status_code END,
       last_error_key = GREATEST(h.last_error_key, excluded.last_error_key),
       last_success_at = GREATEST(h.last_success_at, excluded.last_success_at)
     WHERE h.account_id = excluded.account_id`,
    [
      col(([id]) => id),
      col(([, h]) => h.account_id),
      col(([, h]) => (h.failure ? new Date(h.failure.started_at).toISOString() : null)),
      col(([, h]) =>
        h.failure
          ? pgText(h.failure.error ?? h.failure.error_class ?? `HTTP ${h.failure.status_code ?? ''}`.trim())
          : null,
      ),
      col(([, h]) => h.failure?.status_code ?? null),
      col(([, h]) => (h.failure ? h.failureKey : null)),
      col(([, h]) => h.successAt),
    ],
  );
}

interface StoredDeadLetter {
  delivery_id: string;
  attempts: number;
  dead_at: Date;
  reason: string;
  account_id: string;
  destination_id: string;
}

/** The dead letter that stands for a delivery: more attempts, then earlier, then by reason. */
function better(
  a: { attempts: number; dead_at: string; reason: string },
  b: { attempts: number; dead_at: string; reason: string },
): boolean {
  if (a.attempts !== b.attempts) return a.attempts > b.attempts;
  if (a.dead_at !== b.dead_at) return a.dead_at < b.dead_at;
  return a.reason < b.reason;
}

/**
 * Writes the batch's dead letters and counts each delivery's standing one. Runs under the batch's
 * event locks (the dead letters' events are among them), so the read-modify-write is safe.
 */
export async function writeDeadLetters(c: PoolClient, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const best = new Map<string, DeadLetter & { dead_at: string }>();
  for (const raw of letters) {
    const d = { ...raw, dead_at: new Date(raw.dead_at).toISOString() };
    const cur = best.get(d.delivery_id);
    if (!cur || better(d, cur)) best.set(d.delivery_id, d);
  }
  const ids = [...best.keys()].sort();
  const { rows } = await c.query<StoredDeadLetter>(
    'SELECT delivery_id, attempts, dead_at, reason, account_id, destination_id FROM dead_letters WHERE delivery_id = ANY($1::uuid[])',
    [pgArray(ids)],
  );
  const stored = new Map(rows.map((r) => [r.delivery_id, r]));
  const write: Array<DeadLetter & { dead_at: string }> = [];
  const deltas = new Deltas();
  for (const id of ids) {
    const d = best.get(id) as DeadLetter & { dead_at: string };
    const old = stored.get(id);
    if (old) {
      // A delivery id belongs to one account: a dead letter naming another one's is not data.
      if (old.account_id !== d.account_id) continue;
      const o = { attempts: old.attempts, dead_at: old.dead_at.toISOString(), reason: old.reason };
      if (!better(d, o)) continue;
      deltas.add(
        {
          account_id: old.account_id,
          minute: minuteOf(o.dead_at),
          destination_id: old.destination_id,
          outcome: 'dead_lettered',
          class: o.reason,
        },
        -1,
        null,
      );
    }
    deltas.add(
      {
        account_id: d.account_id,
        minute: minuteOf(d.dead_at),
        destination_id: d.destination_id,
        outcome: 'dead_lettered',
        class: d.reason,
      },
      1,
      null,
    );
    write.push(d);
  }
  if (write.length === 0) return;
  const col = (f: (d: DeadLetter) => ArrayElement) => pgArray(write.map(f));
  await c.query(
    `INSERT INTO dead_letters AS x (delivery_id, account_id, event_id, destination_id, reason, attempts, last_status_code, last_error, dead_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int4[], $7::int4[], $8::text[], $9::timestamptz[])
     ON CONFLICT (delivery_id) DO UPDATE SET
       reason = excluded.reason, attempts = excluded.attempts, last_status_code = excluded.last_status_code,
       last_error = excluded.last_error, dead_at = excluded.dead_at`,
    [
      col((d) => d.delivery_id),
      col((d) => d.account_id),
      col((d) => d.event_id),
      col((d) => d.destination_id),
      col((d) => d.reason),
      col((d) => d.attempts),
      col((d) => d.last_status_code),
      col((d) => pgText(d.last_error)),
      col((d) => d.dead_at),
    ],
  );
  await writeDeltas(c, deltas);
}
