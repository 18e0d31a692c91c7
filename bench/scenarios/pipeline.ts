// Hookstream's ingest, end-to-end latency and sustained throughput, every role running.
import type { Ctx } from '../lib/context.ts';
import { monotonicUs } from '../lib/profile.ts';
import { processTree } from '../lib/sys.ts';
import { round, slope } from '../lib/stats.ts';
import { type HttpFigure, closedLoop } from './raw.ts';
import { type LatencyRun, latencyRun, pacedRun } from './load.ts';
import type { Setup } from './setup.ts';

export async function drain(ctx: Ctx, what: string, exclude?: ReadonlySet<string>): Promise<number> {
  const d = await (ctx.system as NonNullable<Ctx['system']>).drain(ctx.plan.drainS * 1000, exclude);
  ctx.log(`  ${what}: ${d.drained ? 'drained' : 'NOT drained'} in ${Math.round(d.ms / 100) / 10} s`);
  return d.drained ? d.ms : -1;
}

export async function runIngest(
  ctx: Ctx,
  setup: Setup,
): Promise<HttpFigure & { drain_ms: number[]; windows_us: Array<[number, number]> }> {
  const p = ctx.plan;
  const url = setup.api.ingestUrl(setup.sources.ingest);
  const runs: HttpFigure[] = [];
  const drains: number[] = [];
  const windows: Array<[number, number]> = [];
  ctx.log(`ingest: ${p.ingestRuns} × ${p.ingestS} s at 50 connections, routes present, every role running`);
  for (let i = 0; i < p.ingestRuns; i++) {
    const start = monotonicUs();
    runs.push(await closedLoop(ctx, 'ingest', url, 1, p.ingestS));
    windows.push([start, monotonicUs()]);
    // What was accepted is routed, delivered and projected before the next run measures again.
    drains.push(await drain(ctx, `ingest run ${i + 1}`));
  }
  const med = (f: (r: HttpFigure) => number) => {
    const v = runs.map(f).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)] as number;
  };
  return {
    rps: med((r) => r.rps),
    p50_ms: med((r) => r.p50_ms),
    p99_ms: med((r) => r.p99_ms),
    runs: runs.flatMap((r) => r.runs),
    drain_ms: drains,
    windows_us: windows,
  };
}

/** Seconds of unmeasured load at a latency scenario's own rate before it is measured. */
export const WARMUP_S = 5;

/**
 * The roles may have started just before a latency scenario (it runs first, or alone with --only):
 * their first seconds (code not yet optimised by the JIT, pools and buffers growing) run at the
 * scenario's rate unmeasured, as a service that has been up a while.
 */
export async function warmUp(ctx: Ctx, what: string, url: string, rate: number, channel: string): Promise<void> {
  await pacedRun(ctx, `${what} warm-up`, url, rate, WARMUP_S, { channel, track: false, measure: false });
  await drain(ctx, `${what} warm-up`);
}

export async function runE2e(ctx: Ctx, setup: Setup): Promise<LatencyRun> {
  ctx.log(
    `e2e latency: 1,000 events/s for ${ctx.plan.e2eS} s, 202 → receiver arrival, after ${WARMUP_S} s of warm-up at that rate`,
  );
  await warmUp(ctx, 'e2e', setup.api.ingestUrl(setup.sources.latency), 1000, 'latency');
  const r = await latencyRun(ctx, 'e2e', setup.api.ingestUrl(setup.sources.latency), 1000, ctx.plan.e2eS, 'latency');
  await drain(ctx, 'e2e');
  return r;
}

export interface Step {
  rate: number;
  window_s: number;
  achieved_rate: number;
  delivered_rate: number;
  lag_max_ms: number;
  pending_end: number;
  pending_slope_per_s: number;
  ok: boolean;
  why: string;
}

/** One window at `rate`: did ingest, delivery and the projections all keep up? */
async function step(ctx: Ctx, setup: Setup, rate: number, windowS: number): Promise<Step> {
  const r = await pacedRun(ctx, `sustained@${rate}`, setup.api.ingestUrl(setup.sources.sustained), rate, windowS, {
    channel: 'sustained',
    track: false,
  });
  const t0 = r.load.started_at;
  const points = r.pending
    .filter((s) => s.t >= t0 && s.t <= t0 + windowS * 1000)
    .map((s) => [(s.t - t0) / 1000, s.router + s.deliveries] as const);
  const pendingSlope = slope(points);
  const pendingEnd = points.length ? (points[points.length - 1] as readonly [number, number])[1] : 0;
  const why: string[] = [];
  if (r.load.non202 + r.load.errors > 0) why.push(`${r.load.non202 + r.load.errors} failed requests`);
  // Ingest keeps up when it never had a second's worth outstanding (nothing skipped) and answered 97%.
  if (r.load.skipped > 0 || r.load.ok < r.load.sent * 0.97)
    why.push(`ingest fell behind (${r.load.achieved_rate}/s answered, ${r.load.skipped} sends skipped)`);
  if (r.lag.max_ms >= 2000) why.push(`projection lag ${r.lag.max_ms} ms`);
  // Growth beyond noise: 5% of the rate per second; and never more than a second's worth at the end.
  if (pendingSlope > rate * 0.05) why.push(`pending deliveries grew ${Math.round(pendingSlope)}/s`);
  if (pendingEnd > rate) why.push(`${pendingEnd} deliveries pending at the end`);
  const s: Step = {
    rate,
    window_s: windowS,
    achieved_rate: r.load.achieved_rate,
    delivered_rate: Math.round(r.count / windowS),
    lag_max_ms: r.lag.max_ms,
    pending_end: pendingEnd,
    pending_slope_per_s: round(pendingSlope),
    ok: why.length === 0,
    why: why.join('; ') || 'kept up',
  };
  ctx.log(`  ${rate}/s for ${windowS} s: ${s.ok ? 'kept up' : `not kept up: ${s.why}`}`);
  return s;
}

export interface Sustained {
  rate: number;
  window_s: number;
  steps: Step[];
}

/**
 * Steps the rate up in short probes until one falls behind, tries the midpoint, then holds the
 * best rate for the full window (and steps down if that fails). QUICK stops after the probes.
 */
export async function runSustained(ctx: Ctx, setup: Setup): Promise<Sustained> {
  const p = ctx.plan;
  ctx.log(
    `sustained: probes of ${p.sustainedProbeS} s stepping up${p.sustainedConfirmS ? `, then ${p.sustainedConfirmS} s at the best` : ''}`,
  );
  const steps: Step[] = [];
  let best = 0;
  let failedAt = 0;
  const started = Date.now();
  for (const rate of p.sustainedRates) {
    if (Date.now() - started > p.sustainedBudgetS * 1000) {
      ctx.log(`  stepping stopped: the search used its ${p.sustainedBudgetS} s`);
      break;
    }
    const s = await step(ctx, setup, rate, p.sustainedProbeS);
    steps.push(s);
    const drained = await drain(ctx, `after ${rate}/s`);
    if (!s.ok || drained < 0) {
      failedAt = rate;
      break;
    }
    best = rate;
  }
  // Not even the first rate: step down, so the figure says what this machine does sustain.
  for (
    let rate = Math.floor((p.sustainedRates[0] ?? 1000) / 2);
    best === 0 && rate >= 125;
    rate = Math.floor(rate / 2)
  ) {
    const s = await step(ctx, setup, rate, p.sustainedProbeS);
    steps.push(s);
    if ((await drain(ctx, `after ${rate}/s`)) >= 0 && s.ok) best = rate;
  }
  if (p.sustainedConfirmS === 0 || best === 0) return { rate: best, window_s: p.sustainedProbeS, steps };
  if (failedAt > 0) {
    const mid = Math.round((best + failedAt) / 2 / 250) * 250;
    if (mid > best && mid < failedAt) {
      const s = await step(ctx, setup, mid, p.sustainedProbeS);
      steps.push(s);
      if ((await drain(ctx, `after ${mid}/s`)) >= 0 && s.ok) best = mid;
    }
  }
  // A 60 s hold is harder than a 15 s probe: step down twice before giving up.
  for (let attempt = 0; attempt < 3 && best > 0; attempt++) {
    const s = await step(ctx, setup, best, p.sustainedConfirmS);
    steps.push(s);
    await drain(ctx, `after ${best}/s held`);
    if (s.ok) return { rate: best, window_s: p.sustainedConfirmS, steps };
    best = Math.max(0, best - (best > 2000 ? 500 : 250));
  }
  return { rate: 0, window_s: p.sustainedConfirmS, steps };
}

/**
 * Ingest of `make run`'s default (the roles supervised in processes of their own), after the
 * one-process-per-role system stopped: the same closed loop as `ingest`, into the same source.
 */
export async function runDefault(ctx: Ctx, setup: Setup): Promise<HttpFigure> {
  const system = ctx.system as NonNullable<Ctx['system']>;
  const p = ctx.plan;
  await system.stopRoles();
  ctx.log(`default make run: ${p.ingestRuns} × ${p.ingestS} s at 50 connections into the supervised roles`);
  const d = await system.startDefault();
  try {
    const url = `${d.url}/ingest/${setup.sources.ingest.path_token}`;
    // The supervisor and its role processes (not the services: they have columns of their own), as one column.
    const tree = processTree(d.pid);
    return await closedLoop(ctx, 'default.ingest', url, p.ingestRuns, p.ingestS, { default: tree });
  } finally {
    await d.stop();
  }
}
