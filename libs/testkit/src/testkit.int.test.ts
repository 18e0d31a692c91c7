import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import t from 'tap';
import { createTestDatabase, startNats, startNatsCluster, startOwnPostgres, startReceiver, waitFor } from './index.ts';

async function one<R extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R | undefined> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows[0];
  } finally {
    await client.end();
  }
}

/** POST with node:http so the exact bytes and repeated headers go out untouched. */
function post(
  url: string,
  body: Buffer,
  headers: Record<string, string | string[]> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-length': String(body.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('createTestDatabase creates a database and drops it at teardown', async (t) => {
  const base = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  let name = '';
  await t.test('inside', async (t) => {
    const url = await createTestDatabase(t);
    name = new URL(url).pathname.slice(1);
    t.match(name, /^hs_test_[0-9a-f]{12}$/);
    const row = await one<{ db: string }>(url, 'SELECT current_database() AS db');
    t.equal(row?.db, name, 'the URL points at the new database');
  });
  const left = await one(base, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  t.equal(left, undefined, 'dropped at teardown');
});

t.test('startOwnPostgres gives a server the test may stop and start', async (t) => {
  const server = await startOwnPostgres(t);
  await one(server.url, 'CREATE TABLE x (v int)');
  await one(server.url, 'INSERT INTO x VALUES (7)');
  await server.stop();
  await server.start();
  t.same(await one(server.url, 'SELECT v FROM x'), { v: 7 });
});

t.test('receiver records byte-exact bodies and headers', async (t) => {
  const receiver = await startReceiver(t);
  const body = Buffer.concat([randomBytes(64 * 1024), Buffer.from([0xff, 0xfe, 0x00, 0xc3])]); // not valid UTF-8
  const res = await post(`${receiver.url}/hook?x=1`, body, { 'x-event-type': 'order.paid', 'x-multi': ['a', 'b'] });
  t.equal(res.status, 200);
  t.equal(res.body, '{}', 'default answer');
  const [got] = await receiver.waitForCount(1);
  t.ok(got);
  if (!got) return;
  t.equal(got.method, 'POST');
  t.equal(got.url, '/hook?x=1');
  t.ok(got.body.equals(body), 'body recorded byte for byte');
  t.equal(got.headers['x-event-type'], 'order.paid');
  t.equal(got.headers['x-multi'], 'a, b');
  t.type(got.receivedAt, 'number');
});

t.test('receiver honours respond()', async (t) => {
  const receiver = await startReceiver(t);
  receiver.respond(async (req, index) =>
    index === 0
      ? { status: 503, headers: { 'retry-after': '7' }, body: 'busy' }
      : { status: 201, body: `seen ${req.body.toString()}` },
  );
  const first = await post(receiver.url, Buffer.from('one'));
  t.equal(first.status, 503);
  t.equal(first.headers['retry-after'], '7');
  t.equal(first.body, 'busy');
  const second = await post(receiver.url, Buffer.from('two'));
  t.equal(second.status, 201);
  t.equal(second.body, 'seen two');

  receiver.respond(() => {
    throw new Error('boom');
  });
  t.equal((await post(receiver.url, Buffer.from('three'))).status, 500, 'a throwing responder answers 500');
  t.equal(receiver.requests.length, 3);
});

t.test("receiver 'hang' holds the connection until close", async (t) => {
  const receiver = await startReceiver(t);
  receiver.respond(() => 'hang');
  let settled = false;
  const pending = post(receiver.url, Buffer.from('wait')).finally(() => (settled = true));
  await receiver.waitForCount(1);
  t.notOk(settled, 'no answer while hanging');
  await receiver.close();
  await t.rejects(pending, 'the client sees the connection end without a response');
  await receiver.close(); // idempotent, teardown calls it again too
});

t.test('waitFor', async (t) => {
  let n = 0;
  t.equal(await waitFor(() => ++n >= 3 && n, { intervalMs: 1 }), 3, 'resolves with the first truthy value');
  await t.rejects(
    waitFor(() => false, { timeoutMs: 30, intervalMs: 5, message: 'never true' }),
    /never true/,
  );
  await t.rejects(
    waitFor(
      () => {
        throw new Error('inner reason');
      },
      { timeoutMs: 30, intervalMs: 5 },
    ),
    /inner reason/,
    'the last error is quoted',
  );
});

t.test('startNats gives a JetStream server of the test’s own', async (t) => {
  const server = await startNats(t);
  const nc = await connect({ servers: server.url });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
  t.equal((await jetstream(nc).publish('t.x', 'hi')).seq, 1);
});

t.test('a 3-node cluster forms and takes a replicas=3 stream', async (t) => {
  const { servers, urls } = await startNatsCluster(t, 3);
  t.equal(servers.length, 3);
  t.equal(new Set(urls).size, 3);
  const nc = await connect({ servers: urls });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
  t.equal(info.config.num_replicas, 3);
  t.ok(info.cluster?.leader, 'the stream has a leader');
  t.equal(info.cluster?.replicas?.length, 2, 'and two replicas');
  const ack = await jetstream(nc).publish('r3.x', 'replicated');
  t.equal(ack.seq, 1);
});
