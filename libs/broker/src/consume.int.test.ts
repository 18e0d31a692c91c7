// The consumer engine against a real nats-server: what it takes from the server while its handlers
// are busy, in messages and in bytes; what a capacity callback holds back; how it stops.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { AckPolicy } from '@nats-io/jetstream';
import { startNats, waitFor } from '@hookstream/testkit';
import { type Broker, connectBroker, handlesOf } from './connection.ts';
import { startConsumer } from './consume.ts';
import type { Capacity, ConsumerOptions, ConsumerStatus } from './consumer.ts';
import type { InboundMsg } from './message.ts';
import { MAX_MSG_BYTES } from './topology.ts';

const logFile = path.join(t.testdir(), 'nats.log');
// A max_pending of 16 MB: a window past it would have the connection cut off as a slow consumer.
const server = await startNats(t, { maxPending: '16MB', logFile });
const broker = await connectBroker({ servers: server.url, name: 'consume-test' });
t.teardown(() => broker.close());
await handlesOf(broker).jsm.streams.add({ name: 'CL', subjects: ['cl.>'], max_msg_size: MAX_MSG_BYTES });
const enc = new TextEncoder();
for (let i = 0; i < 300; i++) await handlesOf(broker).js.publish('cl.m', enc.encode(String(i)));

const info = (name: string, stream = 'CL') => handlesOf(broker).jsm.consumers.info(stream, name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function durable(name: string, stream = 'CL', extra: Record<string, unknown> = {}): Promise<void> {
  await handlesOf(broker).jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 10_000,
    ...extra,
  });
}

/** Waits until the server's count of messages handed out stays put, and returns it. */
async function settled(name: string, stream = 'CL'): Promise<number> {
  let last = -1;
  for (;;) {
    await sleep(300);
    const now = (await info(name, stream)).num_ack_pending;
    if (now === last) return now;
    last = now;
  }
}

function consume(t: Test, o: Omit<ConsumerOptions, 'broker' | 'stream'> & { stream?: string; broker?: Broker }) {
  const c = startConsumer({ broker, stream: 'CL', ...o });
  t.teardown(() => c.stop());
  return c;
}

/** Handlers that hold every message until opened. */
function holding() {
  const held: InboundMsg[] = [];
  let open = false;
  return {
    held,
    open: () => void (open = true),
    handle: async (msg: InboundMsg) => {
      held.push(msg);
      await waitFor(() => open, { timeoutMs: 60_000 });
      msg.ack();
    },
  };
}

t.test('given handlers that hold what they get, the window of messages is all the server hands out', async (t) => {
  await durable('window_50');
  const h = holding();
  consume(t, { consumer: 'window_50', maxMessages: 50, handle: h.handle });
  const delivered = await settled('window_50');
  t.equal(h.held.length, 50, 'the handlers hold the window');
  t.equal(delivered, 50, `the server handed out ${delivered}`);
  t.equal((await info('window_50')).num_waiting, 0, 'and no pull waits for more meanwhile');
  h.open();
  await waitFor(async () => (await info('window_50')).num_pending === 0, {
    timeoutMs: 30_000,
    message: 'the rest consumed',
  });
  t.equal((await info('window_50')).delivered.stream_seq, 300, 'released, every message is taken in the end');
});

t.test('given a capacity of 0, nothing is pulled; once it allows some, exactly that many come', async (t) => {
  await durable('capacity');
  const h = holding();
  let allow = 0;
  const asked: number[] = [];
  const c = consume(t, {
    consumer: 'capacity',
    capacity: ({ inHand, unreleased }): Capacity => {
      asked.push(inHand);
      t.ok(unreleased <= inHand, 'unreleased messages are in hand');
      return { n: Math.max(0, allow - inHand), waitMs: 60_000 };
    },
    handle: h.handle,
  });
  await sleep(1_000);
  const before = await info('capacity');
  t.equal(before.num_ack_pending, 0, 'nothing handed out');
  t.equal(before.num_waiting, 0, 'not even a pull waits');
  t.ok(asked.length >= 1, 'the capacity was asked');

  allow = 7;
  c.poke();
  t.equal(await settled('capacity'), 7, 'poked, the seven allowed come');
  t.equal(h.held.length, 7, 'into the handlers');
  allow = 10;
  h.open();
  await waitFor(async () => (await info('capacity')).num_pending === 0, {
    timeoutMs: 30_000,
    message: 'the rest consumed',
  });
  t.ok(c.inFlight <= 10, 'never more in hand than allowed');
});

t.test('given a handler that releases its message early, the capacity counts it no more', async (t) => {
  await durable('release');
  const limit = 3;
  const releases: Array<() => void> = [];
  const acks: InboundMsg[] = [];
  let end: () => void = () => {};
  const ended = new Promise<void>((r) => (end = r));
  consume(t, {
    consumer: 'release',
    capacity: ({ unreleased }) => ({ n: Math.max(0, limit - unreleased), waitMs: 60_000 }),
    handle: async (msg, release) => {
      releases.push(release);
      acks.push(msg);
      await ended;
    },
  });
  await waitFor(() => releases.length === 3, { message: 'the first three' });
  await sleep(500);
  t.equal(releases.length, 3, 'three unreleased: no more');
  for (const r of releases.splice(0)) r();
  await waitFor(() => releases.length === 3, { message: 'three more once they are released' });
  t.equal(acks.length, 6, 'six in hand, three of them released');
  for (const m of acks) m.ack();
  end();
});

t.test('given messages of a megabyte and a window of 3 MB', async (t) => {
  await handlesOf(broker).jsm.streams.add({ name: 'CLB', subjects: ['clb.>'], max_msg_size: MAX_MSG_BYTES });
  const big = new Uint8Array(1024 * 1024).fill(120);
  for (let i = 0; i < 12; i++) await handlesOf(broker).js.publish('clb.m', big);
  // Two messages larger than the window: each comes alone, once the others are done.
  const huge = new Uint8Array(5 * 1024 * 1024).fill(121);
  for (let i = 0; i < 2; i++) await handlesOf(broker).js.publish('clb.m', huge);
  for (let i = 0; i < 4; i++) await handlesOf(broker).js.publish('clb.m', big);
  await durable('bytes', 'CLB');

  let inHand = 0;
  let count = 0;
  let mostShared = 0;
  let alone = true;
  const seen: number[] = [];
  consume(t, {
    stream: 'CLB',
    consumer: 'bytes',
    maxMessages: 64,
    maxBytes: 3 * 1024 * 1024,
    handle: async (msg) => {
      inHand += msg.data.length;
      count++;
      if (count > 1) mostShared = Math.max(mostShared, inHand);
      if (msg.data.length > 3 * 1024 * 1024 && inHand !== msg.data.length) alone = false;
      seen.push(msg.streamSeq);
      t.equal(msg.deliveryCount, 1, `message ${msg.streamSeq} delivered once`);
      await sleep(50);
      inHand -= msg.data.length;
      count--;
      msg.ack();
    },
  });
  await waitFor(() => seen.length === 18, { timeoutMs: 30_000, message: 'all 18 handled' });
  t.ok(mostShared <= 3 * 1024 * 1024, `at most ${mostShared} bytes in hand when several messages are`);
  t.ok(mostShared >= 2 * 1024 * 1024, 'several messages at once where they fit');
  t.ok(alone, 'a message larger than the window is alone in hand');
  t.same(
    [...seen].sort((a, b) => a - b),
    Array.from({ length: 18 }, (_, i) => i + 1),
    'each message once, in full',
  );
});

t.test('given slow handlers and 40 MB waiting, a 12 MB window keeps the connection under max_pending', async (t) => {
  await handlesOf(broker).jsm.streams.add({ name: 'CLS', subjects: ['cls.>'], max_msg_size: MAX_MSG_BYTES });
  const body = new Uint8Array(1024 * 1024).fill(122);
  for (let i = 0; i < 40; i++) await handlesOf(broker).js.publish('cls.m', body);
  await durable('pending', 'CLS', { ack_wait: 60_000 * 1_000_000 });
  const statuses: ConsumerStatus[] = [];
  const seen = new Map<number, number>();
  consume(t, {
    stream: 'CLS',
    consumer: 'pending',
    maxMessages: 500,
    maxBytes: 12 * 1024 * 1024,
    onStatus: (s) => statuses.push(s),
    handle: async (msg) => {
      seen.set(msg.streamSeq, (seen.get(msg.streamSeq) ?? 0) + 1);
      // A busy process: the event loop blocked while the server still writes.
      const until = Date.now() + 30;
      while (Date.now() < until);
      await sleep(20);
      msg.ack();
    },
  });
  await waitFor(
    async () =>
      (await info('pending', 'CLS')).num_pending === 0 && (await info('pending', 'CLS')).num_ack_pending === 0,
    {
      timeoutMs: 60_000,
      message: 'all 40 handled',
    },
  );
  t.equal(seen.size, 40, 'every message');
  t.ok(
    [...seen.values()].every((n) => n === 1),
    'each once',
  );
  t.same(statuses, [], 'no status: the connection was never cut');
  t.notMatch(await readFile(logFile, 'utf8'), /Slow Consumer/i, 'nor reported slow by the server');
});

t.test(
  'given a pull in progress, stop() waits for it and its messages are handled, none left to redelivery',
  async (t) => {
    await handlesOf(broker).jsm.streams.add({ name: 'CLD', subjects: ['cld.>'] });
    await durable('stop', 'CLD', { ack_wait: 60_000 * 1_000_000 });
    const handled: number[] = [];
    const c = startConsumer({
      broker,
      stream: 'CLD',
      consumer: 'stop',
      maxMessages: 100,
      expiresMs: 3_000,
      handle: async (msg) => {
        await sleep(100);
        handled.push(msg.streamSeq);
        msg.ack();
      },
    });
    await waitFor(async () => (await info('stop', 'CLD')).num_waiting === 1, { message: 'a pull waits on the server' });
    const started = Date.now();
    const stopped = c.stop();
    // Published after stop() was called: the pull in progress still brings them.
    for (let i = 0; i < 5; i++) await handlesOf(broker).js.publish('cld.m', enc.encode(String(i)));
    await stopped;
    const took = Date.now() - started;
    t.same(handled, [1, 2, 3, 4, 5], "the pull's messages were handled before stop() returned");
    const after = await info('stop', 'CLD');
    t.equal(after.num_ack_pending, 0, 'none left in hand, to come again after AckWait');
    t.equal(after.num_waiting, 0, 'no pull left on the server');
    t.ok(took < 5_000, `stop() took ${took} ms, within the pull's expiry and a margin`);
    await handlesOf(broker).js.publish('cld.m', enc.encode('later'));
    await sleep(500);
    t.equal((await info('stop', 'CLD')).num_pending, 1, 'stopped: nothing more is taken');
  },
);

t.test('given a consumer that does not exist, it is reported missing, and found once created', async (t) => {
  const statuses: ConsumerStatus[] = [];
  const got: number[] = [];
  consume(t, {
    consumer: 'late',
    maxMessages: 10,
    onStatus: (s) => statuses.push(s),
    handle: async (msg) => {
      got.push(msg.streamSeq);
      msg.ack();
    },
  });
  await waitFor(() => statuses.some((s) => s.kind === 'consumer_missing'), {
    message: 'the missing consumer reported',
  });
  await durable('late');
  await waitFor(() => got.length === 300, { timeoutMs: 30_000, message: 'every message once the consumer exists' });
  t.pass('created, the consumer is pulled');
});

t.test('given onIdle, the consumer ends itself when a pull brings nothing', async (t) => {
  await durable('idle_end', 'CL', { deliver_policy: 'new' });
  let asked = 0;
  const c = consume(t, {
    consumer: 'idle_end',
    maxMessages: 10,
    expiresMs: 1_000,
    onIdle: async () => ++asked >= 2,
    handle: async (msg) => msg.ack(),
  });
  await c.done;
  t.equal(asked, 2, 'asked after each empty pull, ended when it said so');
  t.equal((await info('idle_end')).num_waiting, 0, 'no pull left behind');
});

t.test('given the ways to settle a message: nak with a delay, term, working', async (t) => {
  await handlesOf(broker).jsm.streams.add({ name: 'CLN', subjects: ['cln.>'] });
  await durable('settle', 'CLN', { ack_wait: 1_000 * 1_000_000 });
  for (const what of ['nak', 'term', 'working']) await handlesOf(broker).js.publish(`cln.${what}`, enc.encode(what));
  const seen: Array<{ subject: string; count: number; at: number }> = [];
  consume(t, {
    stream: 'CLN',
    consumer: 'settle',
    maxMessages: 10,
    handle: async (msg) => {
      seen.push({ subject: msg.subject, count: msg.deliveryCount, at: Date.now() });
      if (msg.subject === 'cln.nak') {
        if (msg.deliveryCount === 1) msg.nak(1_500);
        else msg.ack();
      } else if (msg.subject === 'cln.term') {
        msg.term();
      } else {
        // Held past its AckWait (1 s), kept alive.
        for (let i = 0; i < 6; i++) {
          msg.working();
          await sleep(400);
        }
        msg.ack();
      }
    },
  });
  await waitFor(() => seen.filter((s) => s.subject === 'cln.nak').length === 2, {
    timeoutMs: 15_000,
    message: "the nak'd message again",
  });
  await waitFor(async () => (await info('settle', 'CLN')).num_ack_pending === 0, {
    timeoutMs: 15_000,
    message: 'all settled',
  });
  await sleep(1_500);
  const naks = seen.filter((s) => s.subject === 'cln.nak');
  t.equal(naks[1]?.count, 2, 'nak: offered again, its delivery counted');
  t.ok(
    (naks[1]?.at ?? 0) - (naks[0]?.at ?? 0) >= 1_400,
    `no earlier than its delay (${(naks[1]?.at ?? 0) - (naks[0]?.at ?? 0)} ms)`,
  );
  t.equal(seen.filter((s) => s.subject === 'cln.term').length, 1, 'term: never again');
  t.same(
    seen.filter((s) => s.subject === 'cln.working').map((s) => s.count),
    [1],
    'working: held 2.4 s past a 1 s AckWait, never offered again',
  );
  const after = await info('settle', 'CLN');
  t.equal(after.num_pending + after.num_ack_pending, 0, 'nothing left');
});
