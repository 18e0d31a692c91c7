// The machine's raw limits, measured the same way as the pipeline in the same run: bare Fastify,
// Fastify + one JetStream publish, JetStream publish/consume from one process, undici into a bare
// sink, and Postgres multi-row inserts into the events table's shape.
//
// Each limit is the best a bare program does here: those that go through nats-server are measured
// against the bench's server (the project's choice, GOMAXPROCS=1 on two cores or fewer) and against
// a second one with Go's default, and the publish endpoint both with js.publish() and with publishes
// made as the api makes them; the best is the limit, and every variant is kept beside it.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { natsEnv, startNatsServer } from '@hookstream/embedded';
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

/** Which server and which client made a figure. */
export interface Variant {
  /** Stable across runs, for comparisons: 'project.coalesced', 'go_default', … */
  id: string;
  /** 'project' (natsEnv's GOMAXPROCS) or Go's default, with the thread count. */
  nats: string;
  /** Publishes as js.publish() makes them, or as the api does (coalesced, one reply subscription). */
  publish?: 'js.publish' | 'coalesced';
}

export type Best<T> = T & { variant: Variant; variants: Array<T & { variant: Variant }> };

export interface RawResults {
  fastify_202?: HttpFigure;
  fastify_publish?: Best<HttpFigure>;
  jetstream?: Best<JetStreamFigure>;
  http_sink?: { rps: number; p50_ms: number; p99_ms: number; in_flight: number };
  postgres_insert?: PostgresFigure;
  postgres_copy?: PostgresFigure;
}

interface JetStreamFigure {
  messages: number;
  publish_per_s: number;
  consume_ack_per_s: number;
  in_flight: number;
  batch: number;
}

function best<T>(variants: Array<T & { variant: Variant }>, score: (v: T) => number): Best<T> | undefined {
  const top = [...variants].sort((a, b) => score(b) - score(a))[0];
  return top ? { ...top, variants } : undefined;
}

interface PostgresFigure {
  rows_per_s: number;
  rows: number;
  rows_per_statement: number;
}

export const BODY = makeBody(0, 0).toString();
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Closed-loop autocannon runs at 50 connections against `url`; the median of each figure. */
export async function closedLoop(
  ctx: Ctx,
  scenario: string,
  url: string,
  runs: number,
  durationS: number,
  extra: Record<string, number | number[]> = {},
): Promise<HttpFigure> {
  const results: HttpRun[] = [];
  for (let i = 0; i < runs; i++) {
    const ac = runChild<HttpRun>('autocannon.ts', {
      url,
      connections: 50,
      durationS,
      body: BODY,
      headers: JSON_HEADERS,
    });
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

  ctx.log(`raw: fastify_202 (${p.rawRuns} × ${p.rawS} s, 50 connections)`);
  const bare = await startServer<{ url: string }>('raw-server.ts', { mode: 'bare' });
  try {
    out.fastify_202 = await closedLoop(ctx, 'raw.fastify_202', `${bare.info.url}/ingest/x`, p.rawRuns, p.rawS, {
      server: bare.pid,
    });
  } finally {
    await bare.stop();
  }

  const cores = availableParallelism();
  const goDefault = await startNatsServer({
    storeDir: path.join(ctx.services.dir, 'nats-go-default'),
    port: 0,
    gomaxprocs: cores,
  });
  const servers = [
    {
      id: 'project',
      label: `project (GOMAXPROCS=${natsEnv(process.env, cores).GOMAXPROCS ?? cores})`,
      url: ctx.services.natsUrl,
      pid: ctx.services.nats.pid,
      key: '',
    },
    {
      id: 'go_default',
      label: `Go default (GOMAXPROCS=${cores})`,
      url: goDefault.url,
      pid: goDefault.pid,
      key: '.go_default',
    },
  ];
  try {
    const pubs: Array<HttpFigure & { variant: Variant }> = [];
    const jss: Array<JetStreamFigure & { variant: Variant }> = [];
    for (const nats of servers) {
      for (const publish of ['js.publish', 'coalesced'] as const) {
        const scenario = `raw.fastify_publish${nats.key}${publish === 'coalesced' ? '.coalesced' : ''}`;
        ctx.log(`raw: Fastify + publish, nats ${nats.label}, ${publish} (${p.rawRuns} × ${p.rawS} s, 50 connections)`);
        const server = await startServer<{ url: string }>('raw-server.ts', {
          mode: 'publish',
          natsUrl: nats.url,
          coalesce: publish === 'coalesced',
        });
        try {
          const f = await closedLoop(ctx, scenario, `${server.info.url}/ingest/x`, p.rawRuns, p.rawS, {
            server: server.pid,
            'nats-server': nats.pid,
          });
          pubs.push({ ...f, variant: { id: `${nats.id}.${publish}`, nats: nats.label, publish } });
        } finally {
          await server.stop();
        }
      }
      ctx.log(`raw: jetstream publish (64 in flight) and consume+ack, ${p.jsMessages} messages, nats ${nats.label}`);
      const js = runChild<JetStreamFigure>('raw-jetstream.ts', {
        natsUrl: nats.url,
        messages: p.jsMessages,
        inFlight: 64,
        batch: 1000,
      });
      const jsCpu = measureCpu(ctx, `raw.jetstream${nats.key}`, { client: js.pid, 'nats-server': nats.pid });
      const r = await js.done;
      jsCpu.stop(r.messages * 2, 'message published + consumed');
      jss.push({ ...r, variant: { id: nats.id, nats: nats.label } });
    }
    out.fastify_publish = best(pubs, (f) => f.rps);
    out.jetstream = best(jss, (f) => f.publish_per_s);
  } finally {
    await goDefault.stop();
  }

  ctx.log(`raw: undici → bare HTTP sink (64 in flight, ${p.sinkS} s)`);
  const feed = runChild<RawResults['http_sink']>('undici-feed.ts', {
    url: `${ctx.receiver.info.url}/ok/raw`,
    inFlight: 64,
    durationS: p.sinkS,
  });
  const feedCpu = measureCpu(ctx, 'raw.http_sink', { client: feed.pid });
  out.http_sink = await feed.done;
  feedCpu.stop(out.http_sink ? out.http_sink.rps * p.sinkS : 0, 'request');

  ctx.log(`raw: postgres 500-row inserts into the events shape (${p.pgS} s)`);
  out.postgres_insert = await rawPostgres(ctx, 'insert', 500);
  ctx.log(`raw: postgres COPY of 5,000-row CSV batches into the events shape (${p.pgS} s)`);
  out.postgres_copy = await rawPostgres(ctx, 'copy', 5000);
  return out;
}

async function rawPostgres(
  ctx: Ctx,
  mode: 'insert' | 'copy',
  rowsPerStatement: number,
): Promise<PostgresFigure | undefined> {
  const run = runChild<PostgresFigure>('raw-postgres.ts', {
    databaseUrl: ctx.services.databaseUrl,
    durationS: ctx.plan.pgS,
    mode,
    rowsPerStatement,
  });
  const cpu = measureCpu(ctx, `raw.postgres_${mode}`, { client: run.pid });
  const r = await run.done;
  cpu.stop(r?.rows, 'row');
  return r;
}
