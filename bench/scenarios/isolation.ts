// Fan-out (one event to ten destinations: deliveries/s) and backlog isolation (a healthy
// destination's latency with and without a dead one holding a large backlog).
import { STREAMS } from '@hookstream/contracts';
import { type Ctx, measureCpu } from '../lib/context.ts';
import { runChild } from '../lib/procs.ts';
import { percentile, round, sleep, sortNumbers } from '../lib/stats.ts';
import { rssSampler } from '../lib/sys.ts';
import type { Copy, System } from '../lib/system.ts';
import { WARMUP_S, drain, warmUp } from './pipeline.ts';
import { BODY, JSON_HEADERS } from './raw.ts';
import { type LatencyRun, latencyRun } from './load.ts';
import { FANOUT, type Setup } from './setup.ts';

/** Closed-loop ingest of `amount` events, cut short after plan.floodMaxS on a slow machine. */
async function flood(ctx: Ctx, url: string, amount: number): Promise<{ rps: number; ok: number }> {
  const ac = runChild<{ rps: number; ok: number }>('autocannon.ts', {
    url,
    connections: 50,
    amount,
    maxS: ctx.plan.floodMaxS,
    body: BODY,
    headers: JSON_HEADERS,
  });
  const r = await ac.done;
  if (r.ok < amount)
    ctx.log(`  only ${r.ok} of ${amount} events accepted in ${ctx.plan.floodMaxS} s (${r.rps}/s): going on with those`);
  return r;
}

/** Until the router routed everything and the read models caught up (deliveries may wait). */
async function routed(system: System, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const p = await system.pending();
    const proj = await system.projection();
    if (p.router === 0 && Object.values(proj).every((s) => s.checkpoint >= s.last)) return true;
    await sleep(500);
  }
  return false;
}

export interface Fanout {
  /** Deliverer processes sharing the destinations' consumers. */
  deliverers: number;
  events: number;
  destinations: number;
  deliveries: number;
  /** Deliveries/s between the 10th and 90th percentile arrivals (ramp-up and tail left out). */
  deliveries_per_s: number;
  /** Deliveries/s from the first arrival to the last. */
  overall_per_s: number;
  deliverer_rss_mb: number;
}

/** The deliverer processes of a run with `n` of them: the role's own, then `deliverer#2`… */
function deliverers(n: number): Copy[] {
  return Array.from({ length: n }, (_, i): Copy => (i === 0 ? 'deliverer' : `deliverer#${i + 1}`));
}

/**
 * The deliverer is stopped while the events are ingested and routed, then started: what it drains
 * is the fan-out alone, not ingest competing with it. The projector keeps projecting the attempts.
 * With `copies` > 1 that many deliverer processes share the destinations' consumers, as copies of a
 * role do in production; afterwards the system is back to one.
 */
export async function runFanout(ctx: Ctx, setup: Setup, copies = 1): Promise<Fanout> {
  const system = ctx.system as System;
  const names = deliverers(copies);
  ctx.log(
    `fan-out: ${ctx.plan.fanoutEvents} events × ${FANOUT} destinations, delivered from a standing start by ${copies} deliverer process${copies > 1 ? 'es' : ''}`,
  );
  for (const name of names) await system.stop(name);
  const before = (await system.broker.streams.info(STREAMS.deliveries)).state.messages;
  const n = (await flood(ctx, setup.api.ingestUrl(setup.sources.fanout), ctx.plan.fanoutEvents)).ok;
  const total = n * FANOUT;
  if (!(await routed(system, 120_000))) ctx.log('  routing did not finish in 120 s');
  const queued = (await system.broker.streams.info(STREAMS.deliveries)).state.messages - before;
  await ctx.receiver.call('track', { channel: 'fanout', base: 0, capacity: 0, times: true });
  const rss = rssSampler(() => Object.fromEntries(names.map((name) => [name, system.pid(name)])));
  await Promise.all(names.map((name) => system.start(name)));
  const cpu = measureCpu(ctx, copies > 1 ? `fanout×${copies}` : 'fanout');
  const deadline = Date.now() + Math.max(60_000, total);
  let count = 0;
  while (Date.now() < deadline) {
    count = (await ctx.receiver.call<{ count: number }>('stats', { channel: 'fanout' })).count;
    if (count >= total) break;
    await sleep(200);
  }
  cpu.stop(count, 'delivery');
  const peaks = rss.stop();
  const times = sortNumbers(
    (await ctx.receiver.call<{ times: Float64Array }>('stats', { channel: 'fanout', times: true })).times,
  );
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  const t10 = percentile(times, 10);
  const t90 = percentile(times, 90);
  await drain(ctx, 'fan-out');
  for (const name of names.slice(1)) await system.stop(name);
  ctx.log(`  ${count} of ${total} deliveries arrived (${queued} queued)`);
  return {
    deliverers: copies,
    events: n,
    destinations: FANOUT,
    deliveries: count,
    deliveries_per_s: Math.round((0.8 * times.length) / ((t90 - t10) / 1000)),
    overall_per_s: Math.round(times.length / ((last - first) / 1000)),
    deliverer_rss_mb: Math.max(0, ...names.map((name) => peaks[name] ?? 0)),
  };
}

export interface Backlog {
  rate: number;
  waiting_at_start: number;
  waiting_at_end: number;
  without: LatencyRun;
  with: LatencyRun;
  p99_ratio: number;
  deliverer_rss_mb: number;
}

export async function runBacklog(ctx: Ctx, setup: Setup): Promise<Backlog> {
  const system = ctx.system as System;
  const p = ctx.plan;
  const rate = 500;
  const url = setup.api.ingestUrl(setup.sources.healthy);
  const dead = new Set([setup.dead]);
  ctx.log(
    `backlog isolation: healthy destination at ${rate}/s for ${p.healthyS} s (after ${WARMUP_S} s of warm-up), without then with ${p.backlog} waiting on a dead one`,
  );
  await warmUp(ctx, 'backlog', url, rate, 'healthy');
  const without = await latencyRun(ctx, 'backlog.without', url, rate, p.healthyS, 'healthy');
  await drain(ctx, 'baseline');
  const f = await flood(ctx, setup.api.ingestUrl(setup.sources.dead), p.backlog);
  ctx.log(`  ${f.ok} events for the dead destination accepted at ${f.rps}/s`);
  if (!(await routed(system, 180_000))) ctx.log('  routing of the backlog did not finish in 180 s');
  const waitingAtStart = await system.destinationBacklog(setup.dead);
  const rss = rssSampler(() => ({ deliverer: system.pid('deliverer') }));
  const withBacklog = await latencyRun(ctx, 'backlog.with', url, rate, p.healthyS, 'healthy', dead);
  const peaks = rss.stop();
  const waitingAtEnd = await system.destinationBacklog(setup.dead);
  await drain(ctx, 'with backlog', dead);
  return {
    rate,
    waiting_at_start: waitingAtStart,
    waiting_at_end: waitingAtEnd,
    without,
    with: withBacklog,
    p99_ratio: round(withBacklog.e2e.p99 / without.e2e.p99),
    deliverer_rss_mb: peaks.deliverer ?? 0,
  };
}
