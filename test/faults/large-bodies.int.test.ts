// Large webhooks stored while the router and the projector were down wait for them when they start.
// Pulls counted in messages alone (the router asks for 64, the projector for 500 per stream) would
// take the whole backlog, 120 MB here, into one process at once, and nats-server cuts off a
// connection whose unread bytes pass its max_pending (64 MB by default): every message in that
// client's hand then comes again after AckWait. Each pull is bounded in bytes too
// (libs/broker/src/consume.ts, 8 MB a consumer by default): the backlog drains, each webhook delivered once,
// with no cut-off. The api and the deliverer talk to nats-server on connections of their own besides.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { STREAMS } from '@hookstream/contracts';
import { createTestDatabase, startNats, startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from '../e2e/harness.ts';

const BODIES = 30;
const BODY_BYTES = 4_000_000;

t.test(
  'given a backlog of large webhooks stored while only the api ran, when the other roles start, then each is delivered once and projected, with no connection cut off',
  async (t) => {
    const logFile = path.join(t.testdir(), 'nats.log');
    const nats = await startNats(t, { maxPayload: '8MB', logFile });
    const services = { natsUrl: nats.url, databaseUrl: await createTestDatabase(t) };
    const receiver = await startReceiver(t);

    const setup = await startSystem(t, {}, services);
    const admin = client(setup.url as string);
    const account = await admin.call('POST', '/v1/accounts', { name: 'large' });
    const as = client(setup.url as string, account.json.data.api_key);
    const source = await as.call('POST', '/v1/sources', { name: 'bulk' });
    const destination = await as.call('POST', '/v1/destinations', { name: 'sink', url: `${receiver.url}/large` });
    t.equal((await as.call('POST', '/v1/routes', { destination_id: destination.json.data.id })).status, 201);
    await setup.stop();

    const apiOnly = await startSystem(t, { roles: ['api'] }, services);
    const body = Buffer.alloc(BODY_BYTES, 'x');
    const answers = [];
    for (let i = 0; i < BODIES; i++) {
      answers.push(
        (
          await client(apiOnly.url as string).ingest(source.json.data.path_token, body, {
            'content-type': 'text/plain',
            'x-webhook-id': `large-${i}`,
          })
        ).status,
      );
    }
    t.same(
      answers,
      Array.from({ length: BODIES }, () => 202),
      'every webhook answered 202',
    );
    t.equal((await apiOnly.broker.streams.info(STREAMS.events)).state.messages, BODIES, 'and stored, once each');
    await apiOnly.stop();

    const gw = await startSystem(t, {}, services);
    // Redelivered messages would come after AckWait (30 s for the router, 60 s for the projector):
    // well within these waits, everything is through.
    await receiver.waitForCount(BODIES, 25_000);
    const projected = await waitFor(
      async () => {
        const page = await client(gw.url as string, account.json.data.api_key).call(
          'GET',
          '/v1/events?limit=100&status=delivered',
        );
        return page.json?.data?.length === BODIES ? page.json.data.length : null;
      },
      { timeoutMs: 25_000, intervalMs: 250, message: 'every event projected as delivered' },
    );
    t.equal(projected, BODIES, 'every event projected as delivered');
    const ids = receiver.requests.map((r) => r.headers['x-hookstream-delivery-id']);
    t.equal(ids.length, BODIES, 'each delivered once');
    t.equal(new Set(ids).size, BODIES, 'under a delivery id of its own');
    const log = await readFile(logFile, 'utf8');
    t.notMatch(log, /Slow Consumer Detected/, 'nats-server cut no connection off');
  },
);

t.test(
  'given every role in one process, then the api and the deliverer each talk to nats-server on a connection of their own',
  async (t) => {
    const nats = await startNats(t, { monitorPort: 0 });
    await startSystem(t, {}, { natsUrl: nats.url });
    const connz = (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/connz`)).json()) as {
      connections: Array<{ name?: string }>;
    };
    const names = connz.connections.map((c) => c.name ?? '').sort();
    t.ok(names.includes('hookstream:api'), 'the api');
    t.ok(names.includes('hookstream:deliverer'), 'the deliverer');
    t.equal(
      names.filter((n) => n.startsWith('hookstream:api+')).length,
      1,
      'and one connection that the other roles share',
    );
  },
);
