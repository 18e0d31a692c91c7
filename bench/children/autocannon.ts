// A closed-loop load generator (autocannon) in its own process: N connections for D seconds, or
// until `amount` requests were answered. Reports rates and latency percentiles (ms).
import { createRequire } from 'node:module';
import { oneShot } from './ipc.ts';

// autocannon ships no types; this is the part of its result the bench reads.
interface Result {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requests: { average: number };
  latency: { p50: number; p99: number; max: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  opts: Record<string, unknown>,
) => Promise<Result> & { stop(): void };

interface Args {
  url: string;
  connections: number;
  durationS?: number;
  amount?: number;
  /** With `amount`: stop anyway after this many seconds (a slow machine must not stall the bench). */
  maxS?: number;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

oneShot<Args>(async (a) => {
  const started = performance.now();
  const run = autocannon({
    url: a.url,
    connections: a.connections,
    ...(a.amount ? { amount: a.amount } : { duration: a.durationS ?? 10 }),
    method: a.method ?? 'POST',
    ...(a.body !== undefined ? { body: a.body } : {}),
    headers: a.headers ?? {},
    timeout: 30,
  });
  const timer = a.maxS ? setTimeout(() => run.stop(), a.maxS * 1000) : null;
  const r = await run;
  if (timer) clearTimeout(timer);
  // autocannon's own duration leaves out connection set-up; with `amount` it is the whole run.
  const elapsedS = r.duration > 0 ? r.duration : (performance.now() - started) / 1000;
  return {
    rps: Math.round(r['2xx'] / elapsedS),
    rps_mean_per_s: Math.round(r.requests.average),
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    elapsed_s: Math.round(elapsedS * 10) / 10,
  };
});
