// Rebuild rate from the streams, and the event log's query latency on a million projected events.
import { Api } from '../lib/api.ts';
import { type Ctx, measureCpu } from '../lib/context.ts';
import { runChild } from '../lib/procs.ts';
import type { System } from '../lib/system.ts';
import { makeBody } from '../children/body.ts';

export interface Rebuild {
  completed: boolean;
  seconds: number;
  messages: number;
  /** Events, routings, attempts and dead letters: several attempts may share one message. */
  records: number;
  events: number;
  messages_per_s: number;
  records_per_s: number;
  events_per_s: number | null;
}

/** The projector role is stopped first: the rebuild runs alone, as `hookstream rebuild` would. */
export async function runRebuild(ctx: Ctx): Promise<Rebuild> {
  const system = ctx.system as System;
  ctx.log(`rebuild: read models dropped and projected again from the streams (at most ${ctx.plan.rebuildBudgetS} s)`);
  await system.stop('projector');
  const child = runChild<Rebuild>('rebuild.ts', {
    natsUrl: ctx.services.natsUrl,
    databaseUrl: ctx.services.databaseUrl,
    budgetS: ctx.plan.rebuildBudgetS,
  });
  const cpu = measureCpu(ctx, 'rebuild', { rebuild: child.pid });
  const r = await child.done;
  cpu.stop(r.records, 'record');
  ctx.log(`  ${r.records} records (${r.messages} messages) in ${r.seconds} s${r.completed ? '' : ' (budget reached)'}`);
  return r;
}

export interface Query {
  rows: number;
  insert_s: number;
  requests: number;
  failed: number;
  p50_ms: number;
  p99_ms: number;
  variants: Record<string, { n: number; p50_ms: number; p99_ms: number }>;
  /** GET /v1/stats (and a destination's stats) on the same account, from its rollups. */
  stats?: {
    rollup_rows: number;
    seed_s: number;
    requests: number;
    failed: number;
    p50_ms: number;
    p99_ms: number;
    variants: Record<string, { n: number; p50_ms: number; p99_ms: number }>;
  };
}

const DAY_MS = 86_400_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

/**
 * A separate account gets `rows` events written straight into the read model (generate_series,
 * the schema of libs/store/migrations), spread over 30 days, 4 sources, 20 types, 10% outbound,
 * 5% queued, 3% retrying, 2% dead-lettered; then GET /v1/events is timed with each filter.
 */
export async function runQuery(ctx: Ctx, apiUrl: string): Promise<Query> {
  const system = ctx.system as System;
  const rows = ctx.plan.queryRows;
  ctx.log(`query: ${rows.toLocaleString('en')} projected events, GET /v1/events with filters for ${ctx.plan.queryS} s`);
  const api = new Api(apiUrl);
  await api.signup('bench-query');
  const sources = await Promise.all([0, 1, 2, 3].map((i) => api.source(`query-${i}`)));
  const t0 = performance.now();
  await system.pool.query(
    // random() per column: categories independent of each other, so every filter combination matches.
    `INSERT INTO events (id, account_id, direction, source_id, event_type, status, received_at, content_type, headers, body, stream_seq, delivery_count)
     SELECT gen_random_uuid(), $1, CASE WHEN r.out THEN 'outbound' ELSE 'inbound' END,
       CASE WHEN r.out THEN NULL ELSE ($2::uuid[])[1 + floor(random() * 4)::int] END,
       'bench.type.' || floor(random() * 20)::int,
       CASE WHEN r.s < 0.90 THEN 'delivered' WHEN r.s < 0.95 THEN 'queued' WHEN r.s < 0.98 THEN 'retry_scheduled' ELSE 'dead_letter' END,
       now() - (g::float8 * $5 / $4) * interval '1 millisecond',
       'application/json', '{"content-type":"application/json"}'::jsonb, $3::bytea, g, 1
     FROM generate_series(1, $4::int) AS g, LATERAL (SELECT random() < 0.1 AS out, random() AS s, g AS k) AS r`,
    [api.accountId, sources.map((s) => s.id), makeBody(0, 0), rows, 30 * DAY_MS],
  );
  await system.pool.query('ANALYZE events');
  const insertS = Math.round((performance.now() - t0) / 100) / 10;
  ctx.log(`  inserted and analysed in ${insertS} s`);
  const page = await fetch(`${apiUrl}/v1/events?limit=50&until=${encodeURIComponent(iso(15 * DAY_MS))}`, {
    headers: { authorization: `Bearer ${api.key}` },
  }).then((r) => r.json() as Promise<{ next_cursor: string | null }>);
  const s1 = sources[1]?.id as string;
  const s2 = sources[2]?.id as string;
  const variants: Record<string, string> = {
    newest: '/v1/events',
    status: '/v1/events?status=dead_letter',
    source: `/v1/events?source_id=${s1}`,
    event_type: '/v1/events?event_type=bench.type.7',
    direction: '/v1/events?direction=outbound',
    time_window: `/v1/events?since=${encodeURIComponent(iso(7 * DAY_MS))}&until=${encodeURIComponent(iso(6 * DAY_MS))}`,
    status_source: `/v1/events?status=retry_scheduled&source_id=${s2}`,
    type_since: `/v1/events?event_type=bench.type.3&since=${encodeURIComponent(iso(3 * DAY_MS))}`,
    ...(page.next_cursor ? { cursor_mid: `/v1/events?cursor=${encodeURIComponent(page.next_cursor)}` } : {}),
  };
  const child = runChild<Omit<Query, 'rows' | 'insert_s'>>('query.ts', {
    baseUrl: apiUrl,
    key: api.key,
    variants,
    durationS: ctx.plan.queryS,
  });
  const cpu = measureCpu(ctx, 'query', { client: child.pid });
  const r = await child.done;
  cpu.stop(r.requests, 'request');
  const stats = await runStats(ctx, api, apiUrl);
  return { rows, insert_s: insertS, ...r, stats };
}

const BUCKETS = 70;

/**
 * The rollups the projector would have written for the seeded events (they were inserted straight
 * into the read model), four destinations sharing them: per minute and per hour, delivered → 2xx,
 * retry_scheduled → 5xx, dead_letter → 5xx plus a dead letter; each attempt in one latency bucket
 * (~190 ms). Then GET /v1/stats per range and GET /v1/destinations/{id}/stats are timed.
 */
async function runStats(ctx: Ctx, api: Api, apiUrl: string): Promise<NonNullable<Query['stats']>> {
  const system = ctx.system as System;
  const destinations = await Promise.all(
    [0, 1, 2, 3].map((i) => api.destination({ name: `stats-${i}`, url: `https://stats-${i}.bench.invalid/hooks` })),
  );
  const t0 = performance.now();
  let rollupRows = 0;
  for (const [grain, events, deliveries] of [
    ['minute', 'event_rollups', 'delivery_rollups'],
    ['hour', 'event_rollups_hourly', 'delivery_rollups_hourly'],
  ] as const) {
    const e = await system.pool.query(
      `INSERT INTO ${events} (account_id, ${grain}, direction, received)
       SELECT $1, date_trunc('${grain}', received_at), direction, count(*) FROM events WHERE account_id = $1 GROUP BY 2, 3`,
      [api.accountId],
    );
    const d = await system.pool.query(
      `INSERT INTO ${deliveries} (account_id, ${grain}, destination_id, outcome, class, n, duration_ms_sum, hist)
       SELECT $1, m.at, ($2::uuid[])[d], o.outcome, o.class, k.c, k.c * 190,
              array_fill(0, ARRAY[29]) || ARRAY[k.c] || array_fill(0, ARRAY[${BUCKETS - 30}])
       FROM (SELECT date_trunc('${grain}', received_at) AS at, status, count(*)::int AS n FROM events WHERE account_id = $1 GROUP BY 1, 2) AS m
       CROSS JOIN generate_series(1, 4) AS d
       JOIN (VALUES ('delivered', 'delivered', '2xx'), ('retry_scheduled', 'retry_scheduled', '5xx'),
                    ('dead_letter', 'dead_letter', '5xx'), ('dead_letter', 'dead_lettered', 'exhausted')) AS o(status, outcome, class)
         ON o.status = m.status
       CROSS JOIN LATERAL (SELECT (m.n + 4 - d) / 4 AS c) AS k
       WHERE k.c > 0`,
      [api.accountId, destinations],
    );
    rollupRows += (e.rowCount ?? 0) + (d.rowCount ?? 0);
  }
  await system.pool.query('ANALYZE event_rollups, delivery_rollups, event_rollups_hourly, delivery_rollups_hourly');
  const seedS = Math.round((performance.now() - t0) / 100) / 10;
  ctx.log(
    `  stats: ${rollupRows.toLocaleString('en')} rollup rows seeded in ${seedS} s; GET /v1/stats for ${ctx.plan.queryS} s`,
  );
  const variants: Record<string, string> = {
    stats_1h: '/v1/stats?range=1h',
    stats_24h: '/v1/stats?range=24h',
    stats_7d: '/v1/stats?range=7d',
    destination_24h: `/v1/destinations/${destinations[0]}/stats?range=24h`,
  };
  const child = runChild<Omit<NonNullable<Query['stats']>, 'rollup_rows' | 'seed_s'>>('query.ts', {
    baseUrl: apiUrl,
    key: api.key,
    variants,
    durationS: ctx.plan.queryS,
  });
  const cpu = measureCpu(ctx, 'stats', { client: child.pid });
  const r = await child.done;
  cpu.stop(r.requests, 'request');
  return { rollup_rows: rollupRows, seed_s: seedS, ...r };
}
