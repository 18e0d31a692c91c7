// A burst of large webhooks into one process running every role. The consumers pull such messages by
// the dozen, and nats-server cuts off a connection whose unread bytes pass its max_pending (here
// 4 MB; at the default 64 MB, bodies near the 5 MB limit do the same): the consumers' connection is cut and
// reconnects, and their messages come again after AckWait. Ingest must not notice: every webhook
// is answered 202 and stored, because the api publishes on a connection of its own. The deliverer
// has one too, so that messages in its hand do not come again, as new attempts, when the router's
// or the projector's pulls get the shared connection cut off.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { STREAMS } from '@hookstream/contracts';
import { startNats, startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from '../e2e/harness.ts';

const BODIES = 40;
const BODY_BYTES = 1_000_000;

t.test('given consumers cut off as slow by a burst of large messages, when the burst is ingested, then every webhook is answered 202 and stored', async (t) => {
  const logFile = path.join(t.testdir(), 'nats.log');
  const nats = await startNats(t, { maxPayload: '2MB', maxPending: '4MB', logFile });
  const gw = await startSystem(t, {}, { natsUrl: nats.url });
  const receiver = await startReceiver(t);
  const api = client(gw.url as string);
  const account = await api.call('POST', '/v1/accounts', { name: 'large' });
  const as = client(gw.url as string, account.json.data.api_key);
  const source = await as.call('POST', '/v1/sources', { name: 'bulk' });
  const destination = await as.call('POST', '/v1/destinations', { name: 'sink', url: `${receiver.url}/large` });
  t.equal((await as.call('POST', '/v1/routes', { destination_id: destination.json.data.id })).status, 201);

  const body = Buffer.alloc(BODY_BYTES, 'x');
  const answers = await Promise.all(
    Array.from({ length: BODIES }, (_, i) => api.ingest(source.json.data.path_token, body, { 'content-type': 'text/plain', 'x-webhook-id': `large-${i}` })),
  );
  t.same(
    answers.map((a) => a.status),
    Array.from({ length: BODIES }, () => 202),
    'every webhook of the burst answered 202',
  );
  // Asked on the consumers' connection, which may be reconnecting just now.
  const stored = await waitFor(() => gw.broker.jsm.streams.info(STREAMS.events).then((i) => i.state.messages, () => null), {
    timeoutMs: 30_000,
    message: 'the events stream to answer',
  });
  t.equal(stored, BODIES, 'and stored, once each');
  // The premise: the burst did cut a connection off as a slow consumer.
  const log = await readFile(logFile, 'utf8');
  t.match(log, /Slow Consumer Detected/, 'nats-server cut a consumer off during the burst');
});

t.test('given every role in one process, then the api and the deliverer each talk to nats-server on a connection of their own', async (t) => {
  const nats = await startNats(t, { monitorPort: 0 });
  await startSystem(t, {}, { natsUrl: nats.url });
  const connz = (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/connz`)).json()) as { connections: Array<{ name?: string }> };
  const names = connz.connections.map((c) => c.name ?? '').sort();
  t.ok(names.includes('hookstream:api'), 'the api');
  t.ok(names.includes('hookstream:deliverer'), 'the deliverer');
  t.equal(names.filter((n) => n.startsWith('hookstream:api+')).length, 1, 'and one connection that the other roles share');
});
