import t from 'tap';
import { AckPolicy } from '@nats-io/jetstream';
import { startNats, waitFor } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { startSizedPull } from './pull.ts';

t.test('an idle pull lives on the server\'s heartbeats, and notices when they stop', async (t) => {
  const server = await startNats(t);
  const broker = await connectBroker({ servers: server.url, name: 'pull-test' });
  t.teardown(() => broker.close());
  await handlesOf(broker).jsm.streams.add({ name: 'PH', subjects: ['ph.>'] });
  await handlesOf(broker).jsm.consumers.add('PH', { durable_name: 'idle', ack_policy: AckPolicy.Explicit });
  const statuses: string[] = [];
  const pull = startSizedPull({
    broker,
    stream: 'PH',
    consumer: 'idle',
    maxMessages: 10,
    maxBytes: 1024 * 1024,
    heartbeatMs: 500,
    onMessage: () => {},
    onStatus: (kind) => statuses.push(kind),
  });
  t.teardown(() => pull.stop());

  // Two missed heartbeats and a second (2 s here) would report the pull lost.
  await new Promise((r) => setTimeout(r, 5_000));
  t.same(statuses, [], 'five seconds idle, heartbeats every 500 ms: nothing missed');
  const info = await handlesOf(broker).jsm.consumers.info('PH', 'idle');
  t.equal(info.num_waiting, 1, 'and one pull request waits on the server, not one per missed heartbeat');

  await server.stop();
  await waitFor(() => statuses.includes('heartbeats_missed'), { timeoutMs: 10_000, message: 'the silence noticed' });
  t.pass('with the server gone, the missed heartbeats are reported');
});
