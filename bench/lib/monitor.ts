// Watches the pipeline while a scenario runs: projection lag in time (how old the oldest message
// not yet in Postgres is) from the streams' last sequences and the projection checkpoints, every
// 250 ms, and pending deliveries every second.
import { STREAMS } from '@hookstream/contracts';
import { sleep, summarize, wallMs } from './stats.ts';
import type { System } from './system.ts';

interface Sample {
  t: number;
  s: Record<string, { last: number; checkpoint: number }>;
}

export interface LagSummary {
  /** Per stream: time lag percentiles over the samples (ms) and the largest lag in messages. */
  streams: Record<string, { p50_ms: number; p99_ms: number; max_ms: number; max_messages: number }>;
  max_ms: number;
  samples: number;
}

export interface PendingSample {
  t: number;
  router: number;
  deliveries: number;
}

const PROJECTED = [STREAMS.events, STREAMS.facts, STREAMS.deadLetters];

/** Time lag of `stream` at sample k: now minus when the first message not yet projected was appended. */
export function timeLag(samples: readonly Sample[], k: number, stream: string): number {
  const cur = samples[k]?.s[stream];
  if (!cur || cur.checkpoint >= cur.last) return 0;
  const wanted = cur.checkpoint + 1;
  for (let j = 0; j <= k; j++) {
    const sj = samples[j] as Sample;
    if ((sj.s[stream]?.last ?? 0) >= wanted) {
      if (j === 0) return sj.t === (samples[k] as Sample).t ? 0 : (samples[k] as Sample).t - sj.t; // a lower bound
      const prev = samples[j - 1] as Sample;
      const a = prev.s[stream]?.last ?? 0;
      const b = sj.s[stream]?.last ?? 0;
      const frac = b > a ? (wanted - a) / (b - a) : 1;
      return (samples[k] as Sample).t - (prev.t + frac * (sj.t - prev.t));
    }
  }
  return 0;
}

export class Monitor {
  private readonly system: System;
  private readonly exclude: ReadonlySet<string>;
  private samples: Sample[] = [];
  readonly pending: PendingSample[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(system: System, exclude: ReadonlySet<string> = new Set()) {
    this.system = system;
    this.exclude = exclude;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      let n = 0;
      while (this.running) {
        try {
          const t = wallMs();
          this.samples.push({ t, s: await this.system.projection() });
          if (n++ % 4 === 0) this.pending.push({ t, ...(await this.system.pending(this.exclude)) });
        } catch {
          /* a missed sample is fine */
        }
        await sleep(250);
      }
    })();
  }

  async stop(): Promise<{ lag: LagSummary; pending: PendingSample[] }> {
    this.running = false;
    await this.loop;
    const streams: LagSummary['streams'] = {};
    let max = 0;
    for (const stream of PROJECTED) {
      const lags = this.samples.map((_, k) => timeLag(this.samples, k, stream));
      const s = summarize(lags);
      const maxMessages = Math.max(
        0,
        ...this.samples.map((x) => (x.s[stream] ? x.s[stream].last - x.s[stream].checkpoint : 0)),
      );
      streams[stream] = {
        p50_ms: Math.round(s.p50),
        p99_ms: Math.round(s.p99),
        max_ms: Math.round(s.max),
        max_messages: maxMessages,
      };
      if (Number.isFinite(s.max)) max = Math.max(max, s.max);
    }
    return { lag: { streams, max_ms: Math.round(max), samples: this.samples.length }, pending: this.pending };
  }
}
