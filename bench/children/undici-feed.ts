// Raw limit 4: undici (a Pool, `inFlight` requests outstanding) POSTing 1 KB bodies to the bare
// receiver process for D seconds — the ceiling of the deliverer's HTTP side on this machine.
import { Pool } from 'undici';
import { makeBody } from './body.ts';
import { oneShot } from './ipc.ts';

interface Args {
  url: string;
  inFlight: number;
  durationS: number;
}

oneShot<Args>(async (a) => {
  const target = new URL(a.url);
  const pool = new Pool(target.origin, { connections: a.inFlight, pipelining: 1 });
  const body = makeBody(0, 0);
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const end = t0 + a.durationS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        const res = await pool.request({
          path: target.pathname,
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
        await res.body.dump();
        if (res.statusCode === 200) ok++;
        else failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: a.inFlight }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  latencies.sort((x, y) => x - y);
  const pct = (p: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN) * 100) /
    100;
  return { rps: Math.round(ok / elapsed), failed, p50_ms: pct(50), p99_ms: pct(99), in_flight: a.inFlight };
});
