// The consumer engine when the server goes away: restarted in the middle of pulls, or paused so
// that its heartbeats stop while the connection stays open.
import t from 'tap';
import { AckPolicy } from '@nats-io/jetstream';
import { startNats, waitFor } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { startConsumer, troubledConsumers } from './consume.ts';
import type { ConsumerStatus } from './consumer.ts';

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = 1_000_000;

t.test(
  'given a restart of the server in the middle of pulls, no message is lost, none handled twice at once',
  async (t) => {
    const server = await startNats(t);
    const broker = await connectBroker({ servers: server.url, name: 'restart-test' });
    t.teardown(() => broker.close());
    await handlesOf(broker).jsm.streams.add({ name: 'RS', subjects: ['rs.>'] });
    await handlesOf(broker).jsm.consumers.add('RS', {
      durable_name: 'restart',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 3_000 * NS,
    });
    const TOTAL = 200;
    for (let i = 0; i < TOTAL; i++) await handlesOf(broker).js.publish('rs.m', enc.encode(String(i)));

    const inHand = new Set<number>();
    const handled = new Set<number>();
    let twiceAtOnce = 0;
    let mostInHand = 0;
    const statuses: ConsumerStatus[] = [];
    const c = startConsumer({
      broker,
      stream: 'RS',
      consumer: 'restart',
      maxMessages: 10,
      expiresMs: 2_000,
      onStatus: (s) => statuses.push(s),
      handle: async (msg) => {
        if (inHand.has(msg.streamSeq)) twiceAtOnce++;
        inHand.add(msg.streamSeq);
        mostInHand = Math.max(mostInHand, inHand.size);
        await sleep(40);
        handled.add(msg.streamSeq);
        inHand.delete(msg.streamSeq);
        msg.ack();
      },
    });
    t.teardown(() => c.stop());

    await waitFor(() => handled.size >= 30, { message: 'pulls under way' });
    await server.stop();
    await server.start();
    await waitFor(
      async () => {
        const info = await handlesOf(broker).jsm.consumers.info('RS', 'restart');
        return handled.size === TOTAL && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 60_000, message: 'every message handled and acknowledged after the restart' },
    );
    t.equal(handled.size, TOTAL, 'every message handled');
    t.equal(twiceAtOnce, 0, 'never two handlers on one message');
    t.ok(mostInHand <= 10, `never more than the window in hand (${mostInHand})`);
    t.ok(
      statuses.some((s) => s.kind === 'reconnected'),
      `the reconnect reported (${statuses.map((s) => s.kind).join(', ')})`,
    );
  },
);

t.test(
  'given a paused server, missed heartbeats are reported; resumed, the consumer pulls again within its window',
  async (t) => {
    const server = await startNats(t);
    const broker = await connectBroker({ servers: server.url, name: 'pause-test' });
    t.teardown(() => broker.close());
    await handlesOf(broker).jsm.streams.add({ name: 'PS', subjects: ['ps.>'] });
    await handlesOf(broker).jsm.consumers.add('PS', {
      durable_name: 'pause',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 60_000 * NS,
    });
    const statuses: ConsumerStatus[] = [];
    const got: number[] = [];
    let open: () => void = () => {};
    const opened = new Promise<void>((r) => (open = r));
    const c = startConsumer({
      broker,
      stream: 'PS',
      consumer: 'pause',
      maxMessages: 3,
      expiresMs: 3_000,
      heartbeatMs: 500,
      onStatus: (s) => statuses.push(s),
      handle: async (msg) => {
        got.push(msg.streamSeq);
        await opened;
        msg.ack();
      },
    });
    t.teardown(() => c.stop());

    // Pulls of 3 s with heartbeats every 500 ms: idle for longer, nothing is missed.
    await sleep(4_000);
    t.same(statuses, [], 'idle on a live server: nothing missed');
    t.equal((await handlesOf(broker).jsm.consumers.info('PS', 'pause')).num_waiting, 1, 'one pull waits on the server');

    let paused = true;
    process.kill(server.pid, 'SIGSTOP');
    const resume = () => {
      if (paused) process.kill(server.pid, 'SIGCONT');
      paused = false;
    };
    t.teardown(resume);
    try {
      await waitFor(() => statuses.some((s) => s.kind === 'heartbeats_missed'), {
        timeoutMs: 10_000,
        message: 'the silence noticed',
      });
      t.equal(c.status?.kind, 'heartbeats_missed', "and it is the consumer's status");
      t.ok(
        troubledConsumers().some((x) => x.consumer === 'pause' && x.status.kind === 'heartbeats_missed'),
        'listed among the troubled consumers of the process, for readiness',
      );
      // Long enough for the server to hold pulls from before the pause that have expired by now.
      await sleep(4_000);
    } finally {
      resume();
    }

    for (let i = 0; i < 10; i++) await handlesOf(broker).js.publish('ps.m', enc.encode(String(i)));
    await waitFor(() => got.length === 3, { timeoutMs: 15_000, message: 'pulling again once the server is back' });
    await sleep(1_500);
    const info = await handlesOf(broker).jsm.consumers.info('PS', 'pause');
    t.equal(info.num_ack_pending, 3, 'the window and no more: no pull of before the pause doubled it');
    t.equal(got.length, 3, 'three in hand');
    t.equal(c.status, null, 'a message clears the status');
    t.notOk(
      troubledConsumers().some((x) => x.consumer === 'pause'),
      'and the process no longer lists it',
    );
    open();
    await waitFor(() => got.length === 10, { timeoutMs: 15_000, message: 'the rest' });
    t.same(
      [...got].sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => i + 1),
      'each once',
    );
  },
);

t.test(
  'given a process too busy to read for longer than the silence, the live pull is kept, not asked twice',
  async (t) => {
    const server = await startNats(t);
    const broker = await connectBroker({ servers: server.url, name: 'busy-test' });
    t.teardown(() => broker.close());
    await handlesOf(broker).jsm.streams.add({ name: 'BS', subjects: ['bs.>'] });
    await handlesOf(broker).jsm.consumers.add('BS', { durable_name: 'busy', ack_policy: AckPolicy.Explicit });
    const statuses: ConsumerStatus[] = [];
    const c = startConsumer({
      broker,
      stream: 'BS',
      consumer: 'busy',
      maxMessages: 5,
      expiresMs: 8_000,
      heartbeatMs: 500,
      onStatus: (s) => statuses.push(s),
      handle: async (msg) => msg.ack(),
    });
    t.teardown(() => c.stop());
    await waitFor(async () => (await handlesOf(broker).jsm.consumers.info('BS', 'busy')).num_waiting === 1, {
      message: 'a pull waits',
    });
    // Heartbeats pile up unread while the event loop is blocked past the silence (2 s here).
    const until = Date.now() + 3_000;
    while (Date.now() < until);
    await sleep(2_000);
    t.same(
      statuses.map((s) => s.kind),
      [],
      'the heartbeats read late show the pull alive: nothing reported',
    );
    t.equal(
      (await handlesOf(broker).jsm.consumers.info('BS', 'busy')).num_waiting,
      1,
      'one pull waits on the server, not two',
    );
  },
);

t.test(
  "given a window past the server's max_pending, the cut-off connection halves it until the messages come through",
  async (t) => {
    const server = await startNats(t, { maxPending: '4MB', maxPayload: '2MB' });
    const broker = await connectBroker({ servers: server.url, name: 'cut-test' });
    t.teardown(() => broker.close());
    await handlesOf(broker).jsm.streams.add({ name: 'CS', subjects: ['cs.>'] });
    await handlesOf(broker).jsm.consumers.add('CS', {
      durable_name: 'cut',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 2_000 * NS,
    });
    const body = new Uint8Array(512 * 1024);
    for (let i = 0; i < 40; i++) await handlesOf(broker).js.publish('cs.m', body);
    const statuses: ConsumerStatus[] = [];
    const handled = new Set<number>();
    const c = startConsumer({
      broker,
      stream: 'CS',
      consumer: 'cut',
      maxMessages: 64,
      maxBytes: 32 * 1024 * 1024,
      onStatus: (s) => statuses.push(s),
      handle: async (msg) => {
        // A busy process, reading slower than the server writes.
        const until = Date.now() + 30;
        while (Date.now() < until);
        handled.add(msg.streamSeq);
        msg.ack();
      },
    });
    t.teardown(() => c.stop());
    await waitFor(
      async () => {
        const info = await handlesOf(broker).jsm.consumers.info('CS', 'cut');
        return handled.size === 40 && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 60_000, message: 'every message handled and acknowledged' },
    );
    const cuts = statuses.filter((s) => s.kind === 'reconnected');
    t.ok(cuts.length >= 1, `the connection was cut off (${cuts.length} times)`);
    t.ok(cuts.length <= 8, 'and the window shrank until it was not, rather than being cut off at every reconnect');
    t.comment(cuts.map((s) => s.detail).join('; '));
  },
);
