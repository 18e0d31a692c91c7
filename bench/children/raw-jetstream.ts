// Raw limit 3: JetStream publish rate with 64 publishes in flight, then consume + ack rate, from one
// Node process with the project's client (@nats-io/jetstream 3), 1 KB messages on a file stream.
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { makeBody } from './body.ts';
import { oneShot } from './ipc.ts';

interface Args {
  natsUrl: string;
  messages: number;
  inFlight: number;
  /** Messages per pull batch when consuming. */
  batch: number;
}

oneShot<Args>(async (a) => {
  const nc = await connect({ servers: a.natsUrl });
  const jsm = await jetstreamManager(nc);
  const stream = 'BENCH_RAW_JS';
  await jsm.streams.delete(stream).catch(() => {});
  await jsm.streams.add({ name: stream, subjects: ['bench.raw.js.>'] });
  const js = jetstream(nc);
  const body = makeBody(0, 0);

  // Publish: keep `inFlight` publishes outstanding until all were acknowledged.
  let next = 0;
  let acked = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const one = (): void => {
      if (next >= a.messages) return;
      next++;
      js.publish('bench.raw.js.x', body).then(() => {
        acked++;
        if (acked === a.messages) resolve();
        else one();
      }, reject);
    };
    for (let i = 0; i < a.inFlight; i++) one();
  });
  const publishS = (performance.now() - t0) / 1000;

  // Consume + ack: a durable pull consumer, explicit acks, as the roles use.
  await jsm.consumers.add(stream, {
    durable_name: 'bench',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: a.batch * 4,
  });
  const consumer = await js.consumers.get(stream, 'bench');
  let seen = 0;
  const t1 = performance.now();
  const messages = await consumer.consume({ max_messages: a.batch });
  for await (const m of messages) {
    m.ack();
    if (++seen >= a.messages) break;
  }
  const consumeS = (performance.now() - t1) / 1000;
  await messages.close().catch(() => {});
  await jsm.streams.delete(stream).catch(() => {});
  await nc.drain();
  return {
    messages: a.messages,
    publish_per_s: Math.round(a.messages / publishS),
    consume_ack_per_s: Math.round(seen / consumeS),
    in_flight: a.inFlight,
    batch: a.batch,
  };
});
