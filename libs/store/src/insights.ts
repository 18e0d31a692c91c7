// Read queries of the console: dead letters, and statistics read from the rollups (rollups.ts),
// never by scanning the events or attempts tables, whose size grows with traffic (a destination's
// latest failures read a bounded slice: its newest deliveries). Scoped by account.
import type { DestinationFigures, StatsWindow, api } from '@hookstream/contracts';
import { HIST_BUCKETS, histQuantile } from './rollups.ts';
import { InvalidQueryError, eventTypeCondition, isUuid } from './queries.ts';
import type { Pool } from './pool.ts';

/** The dead-letter list query of the api, with its limit resolved. */
export type DeadLetterFilter = Omit<api.DeadLetterQuery, 'limit'> & { limit: number };

// A replay of the event delivered to the same destination after the dead letter.
const REPLAYED = `EXISTS (SELECT 1 FROM deliveries d WHERE d.account_id = x.account_id AND d.destination_id = x.destination_id
  AND d.event_id = x.event_id AND d.replay_id IS NOT NULL AND d.created_at > x.dead_at)`;

function checkTime(name: string, v: string | undefined): void {
  if (v === undefined) return;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidQueryError('invalid_time', `${name}: not an ISO 8601 time`);
  if (ms < 0 || ms > Date.UTC(9999, 11, 31, 23, 59, 59))
    throw new InvalidQueryError('invalid_time', `${name}: outside the years 1970–9999`);
}

function decodeDeadCursor(cursor: string): { us: string; id: string } {
  const m = /^(\d{1,18})\|([0-9a-f-]{36})$/i.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || !isUuid(m[2] as string)) throw new InvalidQueryError('invalid_cursor', 'invalid cursor');
  return { us: m[1] as string, id: m[2] as string };
}

/** Dead-lettered deliveries, newest first, keyset-paginated on (dead_at, delivery id). */
export async function listDeadLetters(
  pool: Pool,
  accountId: string,
  filter: DeadLetterFilter,
): Promise<{ items: api.DeadLetterView[]; next_cursor: string | null }> {
  checkTime('since', filter.since);
  checkTime('until', filter.until);
  const cursor = filter.cursor ? decodeDeadCursor(filter.cursor) : null;
  const limit = Math.min(Math.max(Math.trunc(filter.limit) || 50, 1), 500);
  if (!isUuid(accountId) || (filter.destination_id !== undefined && !isUuid(filter.destination_id)))
    return { items: [], next_cursor: null };
  const params: unknown[] = [accountId];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = ['x.account_id = $1'];
  if (filter.destination_id !== undefined) where.push(`x.destination_id = ${p(filter.destination_id)}`);
  if (filter.since !== undefined) where.push(`x.dead_at >= ${p(new Date(filter.since).toISOString())}::timestamptz`);
  if (filter.until !== undefined) where.push(`x.dead_at < ${p(new Date(filter.until).toISOString())}::timestamptz`);
  if (filter.event_type !== undefined) where.push(eventTypeCondition('e.event_type', filter.event_type, p));
  if (filter.replayed !== undefined) where.push(filter.replayed ? REPLAYED : `NOT ${REPLAYED}`);
  if (filter.customer_id !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM deliveries d WHERE d.id = x.delivery_id AND d.account_id = $1 AND d.customer_id = ${p(filter.customer_id)})`,
    );
  }
  if (cursor)
    where.push(
      `(x.dead_at, x.delivery_id) < ('epoch'::timestamptz + ${p(cursor.us)}::int8 * interval '1 microsecond', ${p(cursor.id)}::uuid)`,
    );
  const { rows } = await pool.query<{
    delivery_id: string;
    event_id: string;
    destination_id: string;
    event_type: string | null;
    direction: string | null;
    reason: string;
    attempts: number;
    last_status_code: number | null;
    last_error: string | null;
    last_response_excerpt: string | null;
    replayed: boolean;
    dead_at: Date;
    dead_us: string;
  }>(
    `SELECT x.delivery_id, x.event_id, x.destination_id, e.event_type, e.direction, x.reason, x.attempts, x.last_status_code, x.last_error,
            (SELECT a.response_excerpt FROM attempts a WHERE a.delivery_id = x.delivery_id ORDER BY a.n DESC LIMIT 1) AS last_response_excerpt,
            ${REPLAYED} AS replayed, x.dead_at, (extract(epoch FROM x.dead_at) * 1000000)::int8::text AS dead_us
     FROM dead_letters x LEFT JOIN events e ON e.id = x.event_id AND e.account_id = x.account_id
     WHERE ${where.join(' AND ')}
     ORDER BY x.dead_at DESC, x.delivery_id DESC LIMIT ${limit + 1}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.delivery_id,
      event_id: r.event_id,
      destination_id: r.destination_id,
      event_type: r.event_type,
      direction: r.direction,
      reason: r.reason,
      attempts: r.attempts,
      last_status_code: r.last_status_code,
      last_error: r.last_error,
      last_response_excerpt: r.last_response_excerpt,
      dead_lettered_at: r.dead_at.toISOString(),
      replayed: r.replayed,
    })),
    next_cursor:
      rows.length > limit && last
        ? Buffer.from(`${last.dead_us}|${last.delivery_id}`, 'utf8').toString('base64url')
        : null,
  };
}

export interface SeriesPoint {
  t: string;
  received: number;
  delivered: number;
  retrying: number;
  dead_lettered: number;
}

export interface AccountStats {
  totals: { received: number; delivered: number; retrying: number; dead_lettered: number; failed_attempts: number };
  series: SeriesPoint[];
  destinations: DestinationFigures[];
}

function emptySeries(w: StatsWindow): SeriesPoint[] {
  const n = Math.ceil((w.to.getTime() - w.from.getTime()) / (w.intervalS * 1000));
  return Array.from({ length: n }, (_, i) => ({
    t: new Date(w.from.getTime() + i * w.intervalS * 1000).toISOString(),
    received: 0,
    delivered: 0,
    retrying: 0,
    dead_lettered: 0,
  }));
}

/** Hourly rows where the window's intervals are whole hours on hour boundaries, else per-minute rows. */
function grainOf(w: StatsWindow): { events: string; deliveries: string; column: string } {
  const hourly = w.intervalS % 3600 === 0 && w.from.getTime() % 3_600_000 === 0;
  return hourly
    ? { events: 'event_rollups_hourly', deliveries: 'delivery_rollups_hourly', column: 'hour' }
    : { events: 'event_rollups', deliveries: 'delivery_rollups', column: 'minute' };
}

/**
 * The delivery rollups of a window summed in Postgres, so that only totals travel: by interval and
 * outcome (or status class, for one destination), by destination and outcome with the failures
 * since each destination's last success, and the duration histograms' non-zero buckets by
 * destination (or by interval).
 */
async function sums(pool: Pool, accountId: string, w: StatsWindow, destinationId?: string) {
  const g = grainOf(w);
  const params: unknown[] = [accountId, w.from.toISOString(), w.to.toISOString()];
  const where = `r.account_id = $1 AND r.${g.column} >= $2::timestamptz AND r.${g.column} < $3::timestamptz${destinationId ? ` AND r.destination_id = $${params.push(destinationId)}` : ''}`;
  // The interval of a row, from the window's start and its step (two parameters more).
  const bucketed = [...params, w.from.getTime(), w.intervalS * 1000];
  const bucket = `floor((extract(epoch FROM r.${g.column}) * 1000 - $${params.length + 1}) / $${params.length + 2})::int`;
  const byInterval = destinationId
    ? `CASE WHEN r.outcome = 'dead_lettered' THEN 'dead_lettered' ELSE r.class END`
    : 'r.outcome';
  const [series, destinations, hists] = await Promise.all([
    pool.query<{ b: number; k: string; n: number }>(
      `SELECT ${bucket} AS b, ${byInterval} AS k, sum(r.n)::int AS n FROM ${g.deliveries} r WHERE ${where} GROUP BY 1, 2`,
      bucketed,
    ),
    // Rows of the grain that holds the last success count as after it: a few failures before it in
    // the same minute (or hour) may count too.
    pool.query<{ destination_id: string; outcome: string; n: number; since: number }>(
      `SELECT r.destination_id, r.outcome, sum(r.n)::int AS n,
              coalesce(sum(r.n) FILTER (WHERE h.last_success_at IS NULL OR r.${g.column} >= date_trunc('${g.column}', h.last_success_at)), 0)::int AS since
       FROM ${g.deliveries} r LEFT JOIN destination_health h ON h.destination_id = r.destination_id AND h.account_id = r.account_id
       WHERE ${where} GROUP BY 1, 2`,
      params,
    ),
    pool.query<{ k: string; i: number; n: number }>(
      `SELECT ${destinationId ? `${bucket}::text` : 'r.destination_id::text'} AS k, u.i::int AS i, sum(u.h)::int AS n
       FROM ${g.deliveries} r, unnest(r.hist) WITH ORDINALITY AS u(h, i)
       WHERE ${where} AND r.outcome <> 'dead_lettered' AND u.h <> 0 GROUP BY 1, 2`,
      destinationId ? bucketed : params,
    ),
  ]);
  const histOf = new Map<string, number[]>();
  for (const r of hists.rows) {
    let h = histOf.get(r.k);
    if (!h) {
      h = new Array<number>(HIST_BUCKETS).fill(0);
      histOf.set(r.k, h);
    }
    if (r.i >= 1 && r.i <= HIST_BUCKETS) h[r.i - 1] = r.n;
  }
  return { series: series.rows, destinations: destinations.rows, histOf };
}

interface Health {
  destination_id: string;
  last_error: string | null;
  last_error_at: Date | null;
  last_status_code: number | null;
  last_success_at: Date | null;
}

async function healthOf(
  pool: Pool,
  accountId: string,
  destinationIds: readonly string[],
): Promise<Map<string, Health>> {
  if (destinationIds.length === 0) return new Map();
  const { rows } = await pool.query<Health>(
    `SELECT destination_id, last_error, last_error_at, last_status_code, last_success_at FROM destination_health
     WHERE account_id = $1 AND destination_id = ANY($2::uuid[])`,
    [accountId, destinationIds],
  );
  return new Map(rows.map((r) => [r.destination_id, r]));
}

function destinationRollup(
  id: string,
  rows: ReadonlyArray<{ outcome: string; n: number; since: number }>,
  hist: readonly number[] | undefined,
  health: Health | undefined,
): DestinationFigures {
  let attempts = 0;
  let succeeded = 0;
  let failuresSince = 0;
  for (const r of rows) {
    if (r.outcome === 'dead_lettered') continue;
    attempts += r.n;
    if (r.outcome === 'delivered') succeeded += r.n;
    else failuresSince += r.since;
  }
  const h = hist ?? [];
  return {
    destination_id: id,
    attempts,
    succeeded,
    success_rate: attempts === 0 ? null : Math.round((succeeded / attempts) * 10_000) / 10_000,
    p50_ms: histQuantile(h, 0.5),
    p95_ms: histQuantile(h, 0.95),
    last_error: health?.last_error ?? null,
    last_error_at: health?.last_error_at?.toISOString() ?? null,
    last_status_code: health?.last_status_code ?? null,
    last_success_at: health?.last_success_at?.toISOString() ?? null,
    failures_since_success: failuresSince,
  };
}

/** Totals, a series by interval and per-destination figures of one account over a window. */
export async function accountStats(
  pool: Pool,
  accountId: string,
  w: StatsWindow,
  destinationIds: readonly string[],
): Promise<AccountStats> {
  const series = emptySeries(w);
  const totals = { received: 0, delivered: 0, retrying: 0, dead_lettered: 0, failed_attempts: 0 };
  if (!isUuid(accountId)) return { totals, series, destinations: [] };
  const g = grainOf(w);
  const [received, s, health] = await Promise.all([
    pool.query<{ b: number; received: number }>(
      `SELECT floor((extract(epoch FROM ${g.column}) * 1000 - $4) / $5)::int AS b, sum(received)::int AS received FROM ${g.events}
       WHERE account_id = $1 AND ${g.column} >= $2::timestamptz AND ${g.column} < $3::timestamptz GROUP BY 1`,
      [accountId, w.from.toISOString(), w.to.toISOString(), w.from.getTime(), w.intervalS * 1000],
    ),
    sums(pool, accountId, w),
    healthOf(pool, accountId, destinationIds.filter(isUuid)),
  ]);
  for (const r of received.rows) {
    const p = series[r.b];
    if (p) p.received += r.received;
    totals.received += r.received;
  }
  for (const r of s.series) {
    const key =
      r.k === 'delivered'
        ? 'delivered'
        : r.k === 'retry_scheduled'
          ? 'retrying'
          : r.k === 'dead_lettered'
            ? 'dead_lettered'
            : null;
    if (key) {
      const p = series[r.b];
      if (p) p[key] += r.n;
      totals[key] += r.n;
    }
    if (r.k !== 'delivered' && r.k !== 'dead_lettered') totals.failed_attempts += r.n;
  }
  const byDestination = new Map<string, Array<{ outcome: string; n: number; since: number }>>();
  for (const r of s.destinations) {
    const list = byDestination.get(r.destination_id);
    if (list) list.push(r);
    else byDestination.set(r.destination_id, [r]);
  }
  return {
    totals,
    series,
    destinations: destinationIds.map((id) =>
      destinationRollup(id, byDestination.get(id) ?? [], s.histOf.get(id), health.get(id)),
    ),
  };
}

export interface ClassPoint {
  t: string;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  network: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface RecentFailure {
  event_id: string;
  delivery_id: string;
  at: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string;
}

export interface DestinationStats extends DestinationFigures {
  series: ClassPoint[];
  recent_failures: RecentFailure[];
}

// How far back recent failures are looked for: the newest deliveries of the destination by their
// (time-ordered) event id, a bounded read whatever the destination's history.
const RECENT_DELIVERIES = 1_000;

/** One destination's attempts by status class over a window, its figures and its latest failures. */
export async function destinationStats(
  pool: Pool,
  accountId: string,
  destinationId: string,
  w: StatsWindow,
  failures = 10,
): Promise<DestinationStats> {
  const n = Math.ceil((w.to.getTime() - w.from.getTime()) / (w.intervalS * 1000));
  const series: ClassPoint[] = Array.from({ length: n }, (_, i) => ({
    t: new Date(w.from.getTime() + i * w.intervalS * 1000).toISOString(),
    s2xx: 0,
    s4xx: 0,
    s5xx: 0,
    network: 0,
    p50_ms: null,
    p95_ms: null,
  }));
  if (!isUuid(accountId) || !isUuid(destinationId))
    return { ...destinationRollup(destinationId, [], undefined, undefined), series, recent_failures: [] };
  const [s, health, recent] = await Promise.all([
    sums(pool, accountId, w, destinationId),
    healthOf(pool, accountId, [destinationId]),
    pool.query<{
      event_id: string;
      delivery_id: string;
      started_at: Date;
      status_code: number | null;
      error: string | null;
      error_class: string | null;
      response_excerpt: string;
    }>(
      `SELECT a.event_id, a.delivery_id, a.started_at, a.status_code, a.error, a.error_class, a.response_excerpt
       FROM (SELECT id FROM deliveries WHERE account_id = $1 AND destination_id = $2 ORDER BY event_id DESC LIMIT ${RECENT_DELIVERIES}) d
       JOIN attempts a ON a.delivery_id = d.id
       WHERE a.outcome <> 'delivered'
       ORDER BY a.started_at DESC, a.delivery_id DESC, a.n DESC LIMIT ${Math.max(1, Math.min(failures, 100))}`,
      [accountId, destinationId],
    ),
  ]);
  for (const r of s.series) {
    const p = series[r.b];
    if (!p || r.k === 'dead_lettered') continue;
    if (r.k === '2xx') p.s2xx += r.n;
    else if (r.k === 'network') p.network += r.n;
    else if (r.k === '5xx') p.s5xx += r.n;
    // 3xx (redirects are not followed) and 4xx: the receiver refused it.
    else p.s4xx += r.n;
  }
  const all = new Array<number>(HIST_BUCKETS).fill(0);
  series.forEach((p, i) => {
    const h = s.histOf.get(String(i));
    if (!h) return;
    p.p50_ms = histQuantile(h, 0.5);
    p.p95_ms = histQuantile(h, 0.95);
    h.forEach((x, k) => ((all[k] as number) += x));
  });
  const rows = s.destinations.filter((r) => r.destination_id === destinationId);
  return {
    ...destinationRollup(destinationId, rows, all, health.get(destinationId)),
    series,
    recent_failures: recent.rows.map((r) => ({
      event_id: r.event_id,
      delivery_id: r.delivery_id,
      at: r.started_at.toISOString(),
      status_code: r.status_code,
      error: r.error ?? r.error_class,
      response_excerpt: r.response_excerpt,
    })),
  };
}
