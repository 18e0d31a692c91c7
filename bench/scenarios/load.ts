// Open-loop runs shared by the latency scenarios: pace N events/s into one source while the
// receiver records arrivals by seq, then join arrivals with the 202 times.
import { type Ctx, measureCpu } from '../lib/context.ts';
import { type LagSummary, Monitor, type PendingSample } from '../lib/monitor.ts';
import { runChild } from '../lib/procs.ts';
import { type Summary, sleep, summarize } from '../lib/stats.ts';

export interface PacedResult {
  target_rate: number;
  sent: number;
  /** Sends dropped because a second's worth was already outstanding (the server fell behind). */
  skipped: number;
  ok: number;
  non202: number;
  errors: number;
  unanswered: number;
  achieved_rate: number;
  last_answer_after_ms: number;
  max_in_flight: number;
  ingest_p50_ms: number;
  ingest_p99_ms: number;
  started_at: number;
  acks?: Float64Array;
}

export interface LatencyRun {
  load: Omit<PacedResult, 'acks'>;
  /** 202 → receiver arrival, ms. */
  e2e: Summary;
  arrived: number;
  missing: number;
  duplicates: number;
  lag: LagSummary;
  pending: PendingSample[];
}

let nextSeq = 1;

/** Connections for an open-loop rate: enough that answers never hold the sender back. */
export const connectionsFor = (rate: number) => Math.min(128, Math.max(16, Math.ceil(rate / 80)));

export async function pacedRun(
  ctx: Ctx,
  scenario: string,
  url: string,
  rate: number,
  durationS: number,
  opts: {
    channel: string;
    track: boolean;
    exclude?: ReadonlySet<string>;
    /** false: a warm-up, left out of the CPU tables. */ measure?: boolean;
  },
): Promise<{
  load: PacedResult;
  arrivals: Float64Array | null;
  seqBase: number;
  lag: LagSummary;
  pending: PendingSample[];
  duplicates: number;
  count: number;
}> {
  const system = ctx.system as NonNullable<Ctx['system']>;
  const total = Math.round(rate * durationS);
  const seqBase = nextSeq;
  nextSeq += total;
  if (opts.track) await ctx.receiver.call('track', { channel: opts.channel, base: seqBase, capacity: total });
  else await ctx.receiver.call('reset', { channel: opts.channel });
  const monitor = new Monitor(system, opts.exclude);
  monitor.start();
  const gen = runChild<PacedResult>('paced.ts', {
    url,
    rate,
    durationS,
    connections: connectionsFor(rate),
    seqBase,
    record: opts.track,
  });
  const cpu = opts.measure === false ? null : measureCpu(ctx, scenario, { loadgen: gen.pid });
  const load = await gen.done;
  cpu?.stop(load.ok, 'event');
  // Deliveries still on their way when the sender stopped: give them a little time.
  const deadline = Date.now() + 10_000;
  let stats = await ctx.receiver.call<{ count: number; duplicates: number }>('stats', { channel: opts.channel });
  while (stats.count < load.ok && Date.now() < deadline) {
    await sleep(100);
    stats = await ctx.receiver.call('stats', { channel: opts.channel });
  }
  const watched = await monitor.stop();
  let arrivals: Float64Array | null = null;
  if (opts.track)
    arrivals = (await ctx.receiver.call<{ arrivals: Float64Array }>('stats', { channel: opts.channel, arrivals: true }))
      .arrivals;
  return {
    load,
    arrivals,
    seqBase,
    lag: watched.lag,
    pending: watched.pending,
    duplicates: stats.duplicates,
    count: stats.count,
  };
}

/** A fixed-rate run with its end-to-end latency: receiver arrival minus the 202's arrival, per seq. */
export async function latencyRun(
  ctx: Ctx,
  scenario: string,
  url: string,
  rate: number,
  durationS: number,
  channel: string,
  exclude?: ReadonlySet<string>,
): Promise<LatencyRun> {
  const r = await pacedRun(ctx, scenario, url, rate, durationS, {
    channel,
    track: true,
    ...(exclude ? { exclude } : {}),
  });
  const acks = r.load.acks as Float64Array;
  const arrivals = r.arrivals as Float64Array;
  const e2e: number[] = [];
  let missing = 0;
  for (let i = 0; i < acks.length; i++) {
    if (acks[i] === 0) continue;
    if (arrivals[i] === 0) missing++;
    // A delivery can beat the 202 back to the client: then it counts as 0, not negative.
    else e2e.push(Math.max(0, (arrivals[i] as number) - (acks[i] as number)));
  }
  const { acks: _acks, ...load } = r.load;
  return {
    load,
    e2e: summarize(e2e),
    arrived: e2e.length,
    missing,
    duplicates: r.duplicates,
    lag: r.lag,
    pending: r.pending,
  };
}
