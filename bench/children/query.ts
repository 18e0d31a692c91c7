// GET /v1/events latency: one connection, requests one after another (latency, not throughput),
// cycling through the filter variants; percentiles overall and per variant.
import { Pool } from 'undici';
import { oneShot } from './ipc.ts';

interface Args {
  baseUrl: string;
  key: string;
  variants: Record<string, string>;
  durationS: number;
}

const pct = (sorted: number[], p: number) =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) * 100) / 100;

oneShot<Args>(async (a) => {
  const pool = new Pool(a.baseUrl, { connections: 1 });
  const headers = { authorization: `Bearer ${a.key}` };
  const names = Object.keys(a.variants);
  const per: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let failed = 0;
  const get = async (path: string) => {
    const res = await pool.request({ path, method: 'GET', headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  };
  for (const n of names) await get(a.variants[n] as string); // warm-up: plans and connection
  const end = performance.now() + a.durationS * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const n = names[i % names.length] as string;
    const s = performance.now();
    try {
      await get(a.variants[n] as string);
      per[n]?.push(performance.now() - s);
    } catch {
      failed++;
    }
  }
  await pool.close();
  const all = Object.values(per)
    .flat()
    .sort((x, y) => x - y);
  return {
    requests: all.length,
    failed,
    p50_ms: pct(all, 50),
    p99_ms: pct(all, 99),
    variants: Object.fromEntries(
      names.map((n) => {
        const v = (per[n] as number[]).sort((x, y) => x - y);
        return [n, { n: v.length, p50_ms: pct(v, 50), p99_ms: pct(v, 99) }];
      }),
    ),
  };
});
