// The machine's raw limits, measured the same way as the pipeline in the same run: bare Fastify,
// Fastify + one JetStream publish, JetStream publish/consume from one process, undici into a bare
// sink, and Postgres multi-row inserts into the events table's shape.
import { makeBody } from '../children/body.ts';
import { type Ctx, measureCpu } from '../lib/context.ts';
import { runChild, startServer } from '../lib/procs.ts';
import { median } from '../lib/stats.ts';

export interface HttpRun {
  rps: number;
  ok?: number;
  p50_ms: number;
  p99_ms: number;
  non2xx?: number;
  errors?: number;
}

export interface HttpFigure extends HttpRun {
  runs: HttpRun[];
}

export interface RawResults {
  fastify_202?: HttpFigure;
  fastify_publish?: HttpFigure;
  jetstream?: { messages: number; publish_per_s: number; consume_ack_per_s: number; in_flight: number; batch: number };
  http_sink?: { rps: number; p50_ms: number; p99_ms: number; in_flight: number };
  postgres_insert?: PostgresFigure;
  postgres_copy?: PostgresFigure;
}

interface PostgresFigure {
  rows_per_s: number;
  rows: number;
  rows_per_statement: number;
}

export const BODY = makeBody(0, 0).toString();
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Closed-loop autocannon runs at 50 connections against `url`; the median of each figure. */
export async function closedLoop(ctx: Ctx, scenario: string, url: string, runs: number, durationS: number, extra: Record<string, number> = {}): Promise<HttpFigure> {
  const results: HttpRun[] = [];
  for (let i = 0; i < runs; i++) {
    const ac = runChild<HttpRun>('autocannon.ts', { url, connections: 50, durationS, body: BODY, headers: JSON_HEADERS });
    const cpu = measureCpu(ctx, scenario, { ...extra, loadgen: ac.pid });
    const r = await ac.done;
    results.push(r);
    cpu.stop(r.ok, 'request');
  }
  return {
    rps: Math.round(median(results.map((r) => r.rps))),
    p50_ms: median(results.map((r) => r.p50_ms)),
    p99_ms: median(results.map((r) => r.p99_ms)),
    runs: results,
  };
}

export async function runRaw(ctx: Ctx): Promise<RawResults> {
  const p = ctx.plan;
  const out: RawResults = {};

  for (const mode of ['bare', 'publish'] as const) {
    const key = mode === 'bare' ? 'fastify_202' : 'fastify_publish';
    ctx.log(`raw: ${key} (${p.rawRuns} × ${p.rawS} s, 50 connections)`);
    const server = await startServer<{ url: string }>('raw-server.ts', { mode, natsUrl: ctx.services.natsUrl });
    try {
      out[key] = await closedLoop(ctx, `raw.${key}`, `${server.info.url}/ingest/x`, p.rawRuns, p.rawS, { server: server.pid });
    } finally {
      await server.stop();
    }
  }

  ctx.log(`raw: jetstream publish (64 in flight) and consume+ack, ${p.jsMessages} messages`);
  const js = runChild<RawResults['jetstream']>('raw-jetstream.ts', { natsUrl: ctx.services.natsUrl, messages: p.jsMessages, inFlight: 64, batch: 1000 });
  const jsCpu = measureCpu(ctx, 'raw.jetstream', { client: js.pid });
  out.jetstream = await js.done;
  jsCpu.stop((out.jetstream?.messages ?? 0) * 2, 'message published + consumed');

  ctx.log(`raw: undici → bare HTTP sink (64 in flight, ${p.sinkS} s)`);
  const feed = runChild<RawResults['http_sink']>('undici-feed.ts', { url: `${ctx.receiver.info.url}/ok/raw`, inFlight: 64, durationS: p.sinkS });
  const feedCpu = measureCpu(ctx, 'raw.http_sink', { client: feed.pid });
  out.http_sink = await feed.done;
  feedCpu.stop(out.http_sink ? out.http_sink.rps * p.sinkS : 0, 'request');

  ctx.log(`raw: postgres 500-row inserts into the events shape (${p.pgS} s)`);
  out.postgres_insert = await rawPostgres(ctx, 'insert', 500);
  ctx.log(`raw: postgres COPY of 5,000-row CSV batches into the events shape (${p.pgS} s)`);
  out.postgres_copy = await rawPostgres(ctx, 'copy', 5000);
  return out;
}

async function rawPostgres(ctx: Ctx, mode: 'insert' | 'copy', rowsPerStatement: number): Promise<PostgresFigure | undefined> {
  const run = runChild<PostgresFigure>('raw-postgres.ts', { databaseUrl: ctx.services.databaseUrl, durationS: ctx.plan.pgS, mode, rowsPerStatement });
  const cpu = measureCpu(ctx, `raw.postgres_${mode}`, { client: run.pid });
  const r = await run.done;
  cpu.stop(r?.rows, 'row');
  return r;
}
