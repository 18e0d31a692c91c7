import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { applyBatch, withTransaction } from '@hookstream/store';
import { attemptFact, eventMeta, migratedPool, routedFact, target } from './src/test-fixtures.ts';

const dbName = `hs_bench_${randomUUID().slice(0, 8)}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const pool = await migratedPool(`postgres://postgres@127.0.0.1:5432/${dbName}`);
const body = Buffer.from(JSON.stringify({ data: 'x'.repeat(900) }));
const acc = randomUUID();
const timings: Record<string, number> = {};
for (let b = 0; b < 20; b++) {
  const events = [], routed = [], attempts = [];
  for (let i = 0; i < 500; i++) {
    const meta = eventMeta(acc); const x = target();
    events.push({ meta, body, seq: b * 500 + i + 1 }); routed.push(routedFact(meta, [x])); attempts.push(attemptFact(meta, x, 1, 'delivered', 200));
  }
  let t = performance.now();
  await applyBatch(pool, { stream: 'E', lastSeq: b, events });
  timings.events = (timings.events ?? 0) + performance.now() - t; t = performance.now();
  await applyBatch(pool, { stream: 'F', lastSeq: b, routed });
  timings.routed = (timings.routed ?? 0) + performance.now() - t; t = performance.now();
  await applyBatch(pool, { stream: 'F', lastSeq: b, attempts });
  timings.attempts = (timings.attempts ?? 0) + performance.now() - t; t = performance.now();
}
console.log(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v / 20)])), 'ms per 500-batch');
// statement-level breakdown
await withTransaction(pool, async (c) => {
  const keys = Array.from({ length: 500 }, (_, i) => i).sort((a, b) => a - b);
  let t = performance.now();
  await c.query(`SELECT pg_advisory_xact_lock(1, k) FROM unnest($1::int4[]) AS k`, [keys]);
  console.log('locks', Math.round(performance.now() - t));
});
await pool.end();
await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
await admin.end();
