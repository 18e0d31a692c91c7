// The consumer loop against a real nats-server: how much it takes from the server while its
// handlers are busy, with and without a window smaller than its handlers' bound.
import t, { type Test } from 'tap';
import { AckPolicy } from '@nats-io/jetstream';
import { startNats, waitFor } from '@hookstream/testkit';
import { connectBroker } from './connection.ts';
import { type InboundMsg, startConsumerLoop } from './consume.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'consume-test' });
t.teardown(() => broker.close());
await broker.jsm.streams.add({ name: 'CL', subjects: ['cl.>'] });
const enc = new TextEncoder();
for (let i = 0; i < 300; i++) await broker.js.publish('cl.m', enc.encode(String(i)));

/** Runs a loop whose handlers hold every message until released; returns what the server handed out once it settles. */
async function held(t: Test, name: string, maxInFlight: number, window?: number): Promise<{ handled: number; delivered: number; release(): void }> {
  await broker.jsm.consumers.add('CL', { durable_name: name, ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
  const waiting: InboundMsg[] = [];
  let open = false;
  const loop = startConsumerLoop({
    broker,
    stream: 'CL',
    consumer: name,
    maxInFlight,
    ...(window !== undefined ? { window } : {}),
    handle: async (msg) => {
      waiting.push(msg);
      await waitFor(async () => open, { timeoutMs: 60_000 });
      msg.ack();
    },
  });
  t.teardown(() => loop.stop());
  let last = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const now = (await broker.jsm.consumers.info('CL', name)).num_ack_pending;
    if (now === last) break;
    last = now;
  }
  return { handled: waiting.length, delivered: last, release: () => void (open = true) };
}

t.test('without a window, as many again as the handlers hold may be on their way', async (t) => {
  const r = await held(t, 'no_window', 50);
  t.equal(r.handled, 50, 'the handlers hold their bound');
  t.ok(r.delivered > 50 && r.delivered <= 100, `the server handed out ${r.delivered}`);
  r.release();
});

t.test('a window bounds what is asked for ahead of the handlers, not what they hold', async (t) => {
  const r = await held(t, 'window_5', 50, 5);
  t.equal(r.handled, 50, 'the handlers still hold their bound');
  t.ok(r.delivered >= 50 && r.delivered <= 55, `the server handed out ${r.delivered}`);
  r.release();
  await waitFor(async () => (await broker.jsm.consumers.info('CL', 'window_5')).num_pending === 0, { timeoutMs: 30_000, message: 'the rest consumed' });
  const info = await broker.jsm.consumers.info('CL', 'window_5');
  t.equal(info.delivered.stream_seq, 300, 'every message taken in the end');
});
