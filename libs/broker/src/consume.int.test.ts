// The consumer loop against a real nats-server: how much it takes from the server while its
// handlers are busy, with and without a window smaller than its handlers' bound.
import t, { type Test } from 'tap';
import { AckPolicy } from '@nats-io/jetstream';
import { startNats, waitFor } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { type InboundMsg, startConsumerLoop } from './consume.ts';
import { MAX_MSG_BYTES } from './topology.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'consume-test' });
t.teardown(() => broker.close());
await handlesOf(broker).jsm.streams.add({ name: 'CL', subjects: ['cl.>'] });
const enc = new TextEncoder();
for (let i = 0; i < 300; i++) await handlesOf(broker).js.publish('cl.m', enc.encode(String(i)));

/** Runs a loop whose handlers hold every message until released; returns what the server handed out once it settles. */
async function held(t: Test, name: string, maxInFlight: number, window?: number): Promise<{ handled: number; delivered: number; release(): void }> {
  await handlesOf(broker).jsm.consumers.add('CL', { durable_name: name, ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
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
    const now = (await handlesOf(broker).jsm.consumers.info('CL', name)).num_ack_pending;
    if (now === last) break;
    last = now;
  }
  return { handled: waiting.length, delivered: last, release: () => void (open = true) };
}

t.test('the handlers hold their bound, and nothing more is asked for meanwhile', async (t) => {
  const r = await held(t, 'no_window', 50);
  t.equal(r.handled, 50, 'the handlers hold their bound');
  t.equal(r.delivered, 50, `the server handed out ${r.delivered}`);
  r.release();
});

t.test('a window smaller than the handlers\' bound is what is in hand; released, the loop takes the rest', async (t) => {
  const r = await held(t, 'window_5', 50, 5);
  t.equal(r.handled, 5, 'the window bounds what the handlers hold');
  t.equal(r.delivered, 5, `the server handed out ${r.delivered}`);
  r.release();
  await waitFor(async () => (await handlesOf(broker).jsm.consumers.info('CL', 'window_5')).num_pending === 0, { timeoutMs: 30_000, message: 'the rest consumed' });
  const info = await handlesOf(broker).jsm.consumers.info('CL', 'window_5');
  t.equal(info.delivered.stream_seq, 300, 'every message taken in the end');
});

t.test('given messages of a megabyte', async (t) => {
  await handlesOf(broker).jsm.streams.add({ name: 'CLB', subjects: ['clb.>'], max_msg_size: MAX_MSG_BYTES });
  const big = new Uint8Array(1024 * 1024).fill(120);
  for (let i = 0; i < 12; i++) await handlesOf(broker).js.publish('clb.m', big);
  // Two messages larger than the window: each comes alone, once the others are done.
  const huge = new Uint8Array(5 * 1024 * 1024).fill(121);
  for (let i = 0; i < 2; i++) await handlesOf(broker).js.publish('clb.m', huge);
  for (let i = 0; i < 4; i++) await handlesOf(broker).js.publish('clb.m', big);

  t.test('when the window is 3 MB, then no more than 3 MB are in hand, or one larger message alone, and each message comes once', async (t) => {
    await handlesOf(broker).jsm.consumers.add('CLB', { durable_name: 'bytes', ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
    let inHand = 0;
    let count = 0;
    let mostShared = 0;
    let alone = true;
    const seen: number[] = [];
    const loop = startConsumerLoop({
      broker,
      stream: 'CLB',
      consumer: 'bytes',
      maxInFlight: 64,
      windowBytes: 3 * 1024 * 1024,
      handle: async (msg) => {
        inHand += msg.data.length;
        count++;
        if (count > 1) mostShared = Math.max(mostShared, inHand);
        if (msg.data.length > 3 * 1024 * 1024 && inHand !== msg.data.length) alone = false;
        seen.push(msg.streamSeq);
        t.equal(msg.deliveryCount, 1, `message ${msg.streamSeq} delivered once`);
        await new Promise((r) => setTimeout(r, 50));
        inHand -= msg.data.length;
        count--;
        msg.ack();
      },
    });
    t.teardown(() => loop.stop());
    await waitFor(async () => seen.length === 18, { timeoutMs: 30_000, message: 'all 18 handled' });
    t.ok(mostShared <= 3 * 1024 * 1024, `at most ${mostShared} bytes in hand when several messages are`);
    t.ok(mostShared >= 2 * 1024 * 1024, 'several messages at once where they fit');
    t.ok(alone, 'a message larger than the window is alone in hand');
    t.same(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 18 }, (_, i) => i + 1),
      'each message once',
    );
  });
});
