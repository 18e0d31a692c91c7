// The composition root on a real nats-server and Postgres: the roles ROLES names start with what
// their table entry says they need, the process answers /readyz and /metrics, and stop() ends it.
import { Writable } from 'node:stream';
import t from 'tap';
import { testSettings } from '@hookstream/config';
import { freePort } from '@hookstream/embedded';
import { createLogger } from '@hookstream/observability';
import { createPool, migrate } from '@hookstream/store';
import { createTestDatabase, startNats } from '@hookstream/testkit';
import { startGateway } from '../src/gateway.ts';

const nats = await startNats(t);
const databaseUrl = await createTestDatabase(t);
const pool = createPool(databaseUrl, {});
await migrate(pool);
await pool.end();

const settingsFor = (roles: string[], port = 0) =>
  testSettings({
    natsUrl: nats.url,
    databaseUrl,
    roles: roles as never,
    port,
    host: '127.0.0.1',
    allowPrivateDestinations: true,
    logLevel: 'silent',
  });

const get = async (url: string) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text() };
};

t.test('background roles without a database: no pool, no api, the ops server answers until stopped', async (t) => {
  const port = await freePort();
  const gw = await startGateway(settingsFor(['router', 'deliverer'], port), { log: createLogger('silent') });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : gw.stop()));
  t.equal(gw.pool, null, 'router and deliverer need no Postgres');
  t.equal(gw.api, null);
  t.equal(gw.url, null);
  const ready = await get(`http://127.0.0.1:${port}/readyz`);
  t.equal(ready.status, 200, ready.text);
  const checks = JSON.parse(ready.text).data.checks;
  t.same(
    Object.keys(checks).sort(),
    ['consumers', 'events_stream', 'nats'],
    'no postgres or projection check where no role uses them; the pulling roles report their consumers',
  );
  const metrics = await get(`http://127.0.0.1:${port}/metrics`);
  t.match(metrics.text, /hookstream_/, 'the metrics registry is served');
  await gw.stop();
  stopped = true;
  await t.rejects(get(`http://127.0.0.1:${port}/healthz`), 'the ops server is closed after stop');
});

t.test('a projector alone: Postgres is required for readiness and the projection lag is reported', async (t) => {
  const port = await freePort();
  const gw = await startGateway(settingsFor(['projector'], port), { log: createLogger('silent') });
  t.teardown(() => gw.stop());
  t.not(gw.pool, null);
  const { data } = JSON.parse((await get(`http://127.0.0.1:${port}/readyz`)).text);
  t.equal(data.checks.postgres.required, true, 'without the api, Postgres is what the role needs to work');
  t.match(data.checks.projection_lag, { ok: true, required: false });
});

t.test(
  'every role: the api gets the jobs ports and the projection lag; stop() closes them in reverse order',
  async (t) => {
    const lines: Array<{ msg: string; role?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const gw = await startGateway(settingsFor(['api', 'router', 'deliverer', 'projector', 'jobs']), {
      log: createLogger('debug', 'test', sink),
      listen: false,
    });
    let stopped = false;
    t.teardown(() => (stopped ? undefined : gw.stop()));
    const api = gw.api;
    if (!api) throw new Error('no api');
    const ready = await api.inject({ method: 'GET', url: '/readyz' });
    t.equal(ready.statusCode, 200, ready.body);
    const checks = ready.json().data.checks;
    t.equal(checks.postgres.required, false, 'beside the api, ingest does not wait for Postgres');
    t.ok(checks.projection_lag, 'the projector in this process reports its lag');
    const signup = await api.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'gateway' } });
    t.equal(signup.statusCode, 201, signup.body);
    const auth = { authorization: `Bearer ${signup.json().data.api_key}` };
    const replays = await api.inject({ method: 'GET', url: '/v1/replays', headers: auth });
    t.equal(
      replays.statusCode,
      200,
      'bulk replays are served: the jobs role started before the api and gave it its ports',
    );
    await gw.stop();
    stopped = true;
    await t.rejects(api.inject({ method: 'GET', url: '/healthz' }), 'the api is closed');
    const order = lines.filter((l) => l.msg === 'role stopped').map((l) => l.role);
    t.same(
      order,
      ['api', 'jobs', 'projector', 'deliverer', 'router'],
      'the api stops taking requests first, the router stops last',
    );
  },
);

t.test('an api alone: the jobs ports run beside it, and no other role', async (t) => {
  const gw = await startGateway(settingsFor(['api']), { log: createLogger('silent'), listen: false });
  t.teardown(() => gw.stop());
  const api = gw.api;
  if (!api) throw new Error('no api');
  const checks = (await api.inject({ method: 'GET', url: '/readyz' })).json().data.checks;
  t.notOk(checks.projection_lag, 'no projector here');
  const signup = await api.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'api-only' } });
  const auth = { authorization: `Bearer ${signup.json().data.api_key}` };
  t.equal((await api.inject({ method: 'GET', url: '/v1/replays', headers: auth })).statusCode, 200);
});
