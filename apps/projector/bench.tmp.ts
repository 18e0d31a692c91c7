import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startNatsServer } from '@hookstream/embedded';
import { createPublisher } from '@hookstream/broker';
import { countReadModels } from '@hookstream/store';
import { buildProjector } from './src/build.ts';
import { attemptFact, connectTest, eventMeta, migratedPool, routedFact, silent, target, projected } from './src/test-fixtures.ts';

const N = Number(process.argv[2] ?? 20000);
const dir = await mkdtemp(path.join(tmpdir(), 'hsbench-'));
const nats = await startNatsServer({ port: 0, storeDir: path.join(dir, 'js') });
const dbName = `hs_bench_${randomUUID().slice(0, 8)}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const broker = await connectTest(nats.url);
const pool = await migratedPool(`postgres://postgres@127.0.0.1:5432/${dbName}`);
const pub = createPublisher(broker);
const accounts = Array.from({ length: 20 }, () => randomUUID());
const body = Buffer.from(JSON.stringify({ data: 'x'.repeat(900) }));
let t0 = Date.now();
const inflight = new Set<Promise<unknown>>();
for (let i = 0; i < N; i++) {
  const meta = eventMeta(accounts[i % 20] as string);
  const x = target();
  for (const p of [pub.publishEvent(meta, body, meta.event_id), pub.publishRouted(routedFact(meta, [x])), pub.publishAttempt(attemptFact(meta, x, 1, 'delivered', 200))]) {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  while (inflight.size >= 256) await Promise.race(inflight);
}
await Promise.all(inflight);
console.log(`published ${N * 3} messages in ${Date.now() - t0} ms`);
const projector = buildProjector({ broker, pool, log: silent });
t0 = Date.now();
await projector.start();
await projected(projector, 600_000);
const ms = Date.now() - t0;
const c = await countReadModels(pool);
const rows = c.events + c.deliveries + c.attempts;
console.log(JSON.stringify({ ...c, ms, rows_per_s: Math.round((rows / ms) * 1000), messages_per_s: Math.round(((N * 3) / ms) * 1000), stats: projector.stats() }));
// live rate: publish while projecting
await projector.stop();
await broker.close();
await pool.end();
await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
await admin.end();
await nats.stop();
