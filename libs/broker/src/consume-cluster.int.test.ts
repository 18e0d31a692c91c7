// The consumer engine on a 3-node cluster, a replicated consumer's leader stepping down while
// messages flow: the pull in progress ends on the old leader and is asked of the new one.
import t from 'tap';
import { AckPolicy } from '@nats-io/jetstream';
import { startNatsCluster, waitFor } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { startConsumer } from './consume.ts';
import type { ConsumerStatus } from './consumer.ts';

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = 1_000_000;

t.test(
  'given a leadership change of the consumer mid-stream, every message is handled, none twice at once',
  async (t) => {
    const cluster = await startNatsCluster(t, 3);
    const broker = await connectBroker({ servers: cluster.urls, name: 'leader-test' });
    t.teardown(() => broker.close());
    await handlesOf(broker).jsm.streams.add({ name: 'LC', subjects: ['lc.>'], num_replicas: 3 });
    await handlesOf(broker).jsm.consumers.add('LC', {
      durable_name: 'leader',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 5_000 * NS,
      num_replicas: 3,
    });

    const TOTAL = 400;
    const inHand = new Set<number>();
    const handled = new Set<number>();
    let twiceAtOnce = 0;
    let mostInHand = 0;
    const statuses: ConsumerStatus[] = [];
    const c = startConsumer({
      broker,
      stream: 'LC',
      consumer: 'leader',
      maxMessages: 16,
      expiresMs: 3_000,
      onStatus: (s) => statuses.push(s),
      handle: async (msg) => {
        if (inHand.has(msg.streamSeq)) twiceAtOnce++;
        inHand.add(msg.streamSeq);
        mostInHand = Math.max(mostInHand, inHand.size);
        await sleep(10);
        handled.add(msg.streamSeq);
        inHand.delete(msg.streamSeq);
        msg.ack();
      },
    });
    t.teardown(() => c.stop());

    const leaderOf = async () => (await handlesOf(broker).jsm.consumers.info('LC', 'leader')).cluster?.leader;
    const before = await leaderOf();
    let published = 0;
    const publishing = (async () => {
      for (; published < TOTAL; published++) {
        await handlesOf(broker).js.publish('lc.m', enc.encode(String(published)));
        if (published % 20 === 0) await sleep(50);
      }
    })();
    await waitFor(() => handled.size >= 100, { timeoutMs: 30_000, message: 'messages flowing' });
    const answer = await handlesOf(broker).nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.LC.leader`, undefined, {
      timeout: 10_000,
    });
    t.notOk(
      (JSON.parse(new TextDecoder().decode(answer.data)) as { error?: unknown }).error,
      'the leader stepped down',
    );
    await waitFor(async () => (await leaderOf()) !== before, { timeoutMs: 20_000, message: 'a new consumer leader' });
    await publishing;

    await waitFor(
      async () => {
        const info = await handlesOf(broker).jsm.consumers.info('LC', 'leader');
        return handled.size === TOTAL && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 60_000, message: 'every message handled and acknowledged after the change' },
    );
    t.equal(handled.size, TOTAL, 'every message handled');
    t.equal(twiceAtOnce, 0, 'never two handlers on one message');
    t.ok(mostInHand <= 16, `never more than the window in hand (${mostInHand})`);
    t.comment(`statuses: ${statuses.map((s) => `${s.kind} (${s.detail})`).join('; ') || 'none'}`);
  },
);
